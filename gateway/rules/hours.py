"""Service hours and backloading dates: when a received trade may be registered. Pure given the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode
from gateway.refdata.calendars import (
    BusinessCalendar,
    UnknownCalendar,
    add_business_days,
    business_days_between,
    service_calendar,
)
from gateway.rules.settings import BackloadSettings, ServiceHoursSettings


@dataclass(frozen=True, slots=True)
class Timing:
    """When a trade received at some instant is to be processed, and on which business date."""

    business_date: date
    due_at: datetime  # UTC; equal to the receipt time when the service is open
    queued_for_hours: bool
    backload: bool


def hours_calendar(centre: str) -> BusinessCalendar:
    """The calendar of ``service_hours.calendar``; an unknown one is refused naming the setting."""
    try:
        return service_calendar(centre)
    except UnknownCalendar as exc:
        raise InputRejected(
            [Issue(ReasonCode.REF_INVALID_INPUT, "service_hours.calendar", str(exc))]
        ) from None


class ServiceHours:
    """Registration window on business days, in the service's time zone."""

    def __init__(
        self,
        settings: ServiceHoursSettings,
        backload: BackloadSettings | None = None,
        calendar: BusinessCalendar | None = None,
    ) -> None:
        self.settings = settings
        self.backload_settings = backload or BackloadSettings()
        self.tz = ZoneInfo(settings.timezone)
        self.calendar = calendar if calendar is not None else hours_calendar(settings.calendar)

    def is_business_day(self, d: date) -> bool:
        return self.calendar.is_business_day(d)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        return (
            self.calendar.is_business_day(local.date())
            and self.settings.open <= local.time().replace(tzinfo=None) < self.settings.close
        )

    def open_of(self, d: date) -> datetime:
        return datetime.combine(d, self.settings.open, self.tz).astimezone(UTC)

    def close_of(self, d: date) -> datetime:
        return datetime.combine(d, self.settings.close, self.tz).astimezone(UTC)

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening time (UTC)."""
        if self.is_open(at):
            return at.astimezone(UTC)
        local = at.astimezone(self.tz)
        d = local.date()
        if not (self.calendar.is_business_day(d) and local.time().replace(tzinfo=None) < self.settings.open):
            d += timedelta(days=1)
            while not self.calendar.is_business_day(d):
                d += timedelta(days=1)
        return self.open_of(d)

    def business_date(self, at: datetime) -> date:
        """The business date on which something received at ``at`` is registered."""
        return self.next_open(at).astimezone(self.tz).date()

    def timing(self, received_at: datetime, trade_date: date) -> Timing:
        """Where a trade received at ``received_at`` goes: processed now, queued to the open, or backloaded."""
        due = self.next_open(received_at)
        bdate = due.astimezone(self.tz).date()
        stale = business_days_between(self.calendar, trade_date, bdate)
        if stale > self.backload_settings.stale_after_business_days:
            scheduled = add_business_days(
                self.calendar, bdate, self.backload_settings.schedule_after_business_days
            )
            return Timing(scheduled, self.open_of(scheduled), queued_for_hours=False, backload=True)
        return Timing(bdate, due, queued_for_hours=due > received_at.astimezone(UTC), backload=False)
