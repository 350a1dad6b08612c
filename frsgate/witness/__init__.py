"""A transparency-log witness (C2SP tlog-witness): a small separate service with its own key
and storage that cosigns a log's checkpoints only when each is consistent with the last one it
cosigned, so a log cannot quietly lose, rewrite or fork its history (`frsgate witness`)."""
