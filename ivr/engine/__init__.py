"""The call engine and the call's state: one input applied to the flow and what comes next
(engine), what a step sees of the call (context), and the state kept between webhooks
(callstate, with its Redis and in-process stores in kvstores, the account snapshot in snapshot).
"""
