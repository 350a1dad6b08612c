"""Use cases, one module per workflow; called by the API, the web console and the CLI."""
