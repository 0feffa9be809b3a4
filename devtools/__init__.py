"""Development tools: the terminal phone.

Tests and `ivr call` import them; the service never does.
"""
