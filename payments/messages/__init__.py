"""Messages to members: the outbox (SMS and letters), their words, and sending them."""
