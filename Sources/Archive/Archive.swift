// placeholder; see the wrappers task
