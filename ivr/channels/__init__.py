"""What goes back to Twilio: the engine's decision rendered as TwiML for a voice or relay caller
(render, written by twiml), and the few Twilio REST calls the line makes (twilio_rest).
"""
