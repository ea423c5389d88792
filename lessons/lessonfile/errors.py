class LessonFileError(Exception):
    """A lesson file that does not follow the format: says where and what was expected."""

    def __init__(self, source, key, expected):
        self.source, self.key, self.expected = source, key, expected
        super().__init__(f"{source}: {key}: {expected}")
