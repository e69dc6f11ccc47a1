"""Finland's clock: the round's days and hours are Finnish, whatever zone the machine keeps.

A server kept in UTC is still on the day before from midnight to 02:00 (03:00 in summer)
Finnish time; seven days are not seven times 24 hours across the change of clocks. Every
place that tells a day, a deadline or a wait by Finland's clock uses these.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: Finland's time zone (UTC+2, UTC+3 from the last Sunday of March to that of October).
HELSINKI = ZoneInfo("Europe/Helsinki")


def finnish_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` on Finland's clock (aware); a moment without a zone is UTC, as the database
    keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(HELSINKI)


def finnish_day(moment: dt.datetime | None = None) -> dt.date:
    """The day in Finland at ``moment`` (None: now)."""
    return finnish_time(moment or dt.datetime.now(dt.UTC)).date()


def wall_clock(moment: dt.datetime) -> dt.datetime:
    """The time Finland's clocks showed at ``moment``, without a zone (for differences on the
    wall clock)."""
    return finnish_time(moment).replace(tzinfo=None)


def days_later(moment: dt.datetime, days: int) -> dt.datetime:
    """The same time of day ``days`` days later on Finland's clocks, in UTC."""
    local = finnish_time(moment)
    # Aware arithmetic in the same zone is on the wall clock; the offset is looked up again.
    later = (local.replace(tzinfo=None) + dt.timedelta(days=days)).replace(tzinfo=local.tzinfo)
    return later.astimezone(dt.UTC)
