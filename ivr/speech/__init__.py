"""What the line says and what it understands: words for text-to-speech (numbers, money, dates),
digits and commands said aloud by a relay operator, and the parsers of keyed (DTMF) answers.
"""
