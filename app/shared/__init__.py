"""What the tabs and the HTTP API share: the app state, the actions several of them take, the
run queue, forms and checks, errors for a person, estimates, and the group view of Sweep and
Few-shot. Tabs import these from here, never from each other.
"""
