"""The server-rendered console over the same services as the API."""
