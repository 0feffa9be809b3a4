"""Payment gateways: the interface, the sandbox, and the one place an adapter is chosen."""
