"""Representatives on a live call: the directory of calls waiting for or talking to an agent
(agent_calls), and the secure captures an agent starts and follows field by field (capture).
"""
