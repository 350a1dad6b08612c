"""The HTTP edge: FastAPI routers that parse, authorize, call a service and map errors."""
