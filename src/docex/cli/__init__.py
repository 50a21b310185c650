"""The ``docex`` command line: thin commands over the library."""
