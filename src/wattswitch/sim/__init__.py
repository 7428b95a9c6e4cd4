"""The simulated site: observe, decide, apply, record over a scenario; filled by the engine issue."""
