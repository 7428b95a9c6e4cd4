"""GPU training and inference scheduling policies (pure objects); filled by the GPU-side issue."""
