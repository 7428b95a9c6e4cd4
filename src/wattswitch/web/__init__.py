"""Browser dashboard served by the API; filled by the service issue."""
