"""Ctrl-C during training: finish the current batch, then stop cleanly.

The first SIGINT only sets a flag that the training loop checks after each batch; a second
one interrupts immediately, as usual.
"""
import contextlib
import signal
import threading


class _Interrupt:
    requested = False


@contextlib.contextmanager
def stop_on_sigint():
    state = _Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield state  # signals only reach the main thread
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if state.requested:
            signal.signal(signal.SIGINT, previous if callable(previous) else signal.default_int_handler)
            raise KeyboardInterrupt
        state.requested = True

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # e.g. some embedded interpreters
        yield state
        return
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)
