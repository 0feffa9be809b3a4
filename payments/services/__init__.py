"""Services: what the channels call (verify, summarize, take a payment) over storage."""
