"""``oversite worker``: due timers, the outbox and the calendar jobs (ARCHITECTURE §2 rules 4, 5)."""
from __future__ import annotations

import logging

import click

from engine.jobs import JobRegistry
from engine.outbox import OutboxDispatcher
from engine.worker import Worker
from workflows import devices

from ..services import Services
from .context import pass_services


def register_outbox_handlers(dispatcher: OutboxDispatcher, services: Services) -> None:
    """Register every outbox handler the application has: the single place to add one.

    Each handler receives a message payload, runs outside any transaction, raises to ask for
    a retry, and must be idempotent (a message may be delivered more than once). Handlers
    reach the outside world through ``services`` (document store, MQTT, notifier), e.g.
    ``dispatcher.register("mqtt.publish", MqttPublisher(services.config["MQTT_URL"]))``.
    """
    # Device alarms the ingest could not dispatch itself, and those of the offline job.
    dispatcher.register(devices.OUTBOX_KIND, devices.build_alarm_case_handler(services))


def calendar_jobs(services: Services) -> JobRegistry:
    """The calendar jobs the process families registered (``workflows.FAMILIES``)."""
    return services.registries.jobs


def build_worker(
    services: Services,
    *,
    timer_poll_seconds: float | None = None,
    outbox_poll_seconds: float | None = None,
) -> Worker:
    """A worker over the application's database, engine, clock and registered handlers/jobs.

    Raises:
        click.ClickException: the BPMN engine is not configured.
    """
    if services.engine is None:
        raise click.ClickException("the BPMN engine is not configured; the worker cannot fire timers")
    dispatcher = OutboxDispatcher()
    register_outbox_handlers(dispatcher, services)
    return Worker(
        services.session_factory,
        services.clock,
        timer_runner=services.engine.fire_due_timers,
        dispatcher=dispatcher,
        jobs=calendar_jobs(services),
        timer_poll_seconds=timer_poll_seconds or float(services.config.get("TIMER_POLL_SECONDS", 5)),
        outbox_poll_seconds=outbox_poll_seconds or float(services.config.get("OUTBOX_POLL_SECONDS", 2)),
    )


@click.command()
@click.option("--once", is_flag=True,
              help="Run every job once (timers, the outbox until drained, each calendar job) and exit; "
                   "exit status 1 if any job failed. For cron and tests.")
@click.option("--timer-poll", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="Seconds between timer polls [default: OVERSITE_TIMER_POLL_SECONDS or 5].")
@click.option("--outbox-poll", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="Seconds between outbox polls [default: OVERSITE_OUTBOX_POLL_SECONDS or 2].")
@pass_services
def worker(services: Services, once: bool, timer_poll: float | None, outbox_poll: float | None) -> None:
    """Fire due timers, deliver the outbox and run calendar jobs until SIGTERM or Ctrl-C.

    Any number of workers may run against one PostgreSQL database: they share the work
    through row locks (SKIP LOCKED). The database is the source of truth, so stopping or
    restarting a worker loses nothing.
    """
    runner = build_worker(services, timer_poll_seconds=timer_poll, outbox_poll_seconds=outbox_poll)
    # APScheduler logs every poll at INFO ("Running job ..."); our own wrapper logs failures.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    if not once:
        runner.run_forever()
        return
    results = runner.run_once()
    for name, stats in results.items():
        outcome = f"failed: {stats.last_error}" if stats.failures else "ok"
        count = "" if stats.failures or stats.last_result is None else f" ({stats.last_result} processed)"
        click.echo(f"{name}: {outcome}{count}")
    if any(stats.failures for stats in results.values()):
        raise SystemExit(1)
