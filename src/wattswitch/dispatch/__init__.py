"""Power-split policies (pure objects, ``decide(observation) -> Decision``); filled by the engine issue."""
