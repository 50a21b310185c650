"""The use cases: the way into the domain for the API, the CLI and background jobs."""
