"""Reports and plots (HTML); filled by the engine and planner issues."""
