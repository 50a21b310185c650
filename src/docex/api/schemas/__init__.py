"""The API's request and response bodies (pydantic models), one module per resource."""
