"""Names shared by the test AI Task provider and its test."""

DOMAIN = "hsi_test_ai_task"
RECORD_FILE = "hsi_test_ai_task.json"  # in the config dir: one entry per task received
