"""The `/record-course` bot: record people's training in the diocesan CMS from Slack."""

__version__ = "0.1.0"
