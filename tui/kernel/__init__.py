"""The app's side of the kernel: start it (launch), talk to it (link), survive restarts (hub).

Nothing here imports torch or textual; jupyter_client is imported when the link connects,
after the first frame.
"""
