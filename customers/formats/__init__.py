"""Customer representations shared by the core's readers and writers and the dialects."""
