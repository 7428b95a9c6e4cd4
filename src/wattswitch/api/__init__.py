"""REST API (FastAPI); filled by the service issue."""
