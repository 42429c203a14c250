"""Stream plumbing the stages share, not a stage itself: the consumer-group worker (`worker.py`)
and the publisher of event changes (`publish.py`). The message codec is `contract/messages.py`;
the Redis commands are `store/streams.py`."""
