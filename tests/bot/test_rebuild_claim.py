"""The rebuild claim across processes: a lease in the state store, on either engine. Held while its
holder renews it, cancellable from elsewhere, and free again soon after its holder is killed."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.rebuild_claim import RENEWALS, RebuildClaim
from bot.state import StateStore
from tests.conftest import ROOT

# Long enough that a loaded machine's stalls (the tests run at nice 19 beside benchmarks) never let it lapse.
LEASE = 1.5


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "state.sqlite3"
    return request.getfixturevalue("postgres_url")


async def _opened(where) -> StateStore:
    store = StateStore(where)
    await store.open()
    return store


async def test_one_holder_at_a_time_on_two_connections_renewed_and_cancelled(where):
    here, there = await _opened(where), await _opened(where)  # two replicas' connections
    mine, theirs = RebuildClaim(here, LEASE), RebuildClaim(there, LEASE)
    try:
        assert await mine.take()
        assert not await theirs.take()
        await asyncio.sleep(2 * LEASE)  # past two lease periods: the renewals keep it
        assert not await theirs.take()

        cancelled = asyncio.Event()
        mine.on_cancel(cancelled.set)
        assert await theirs.ask_cancel()
        await asyncio.wait_for(cancelled.wait(), 2 * LEASE / RENEWALS + 1)

        await mine.release()
        assert await theirs.take(), "released: the other replica may start one"
        assert not await mine.take()
        await theirs.release()
        assert not await theirs.ask_cancel(), "nothing runs"
    finally:
        await mine.release()
        await theirs.release()
        await here.close()
        await there.close()


async def test_a_cancel_asked_before_the_build_started_stops_it_when_it_starts(where):
    here, there = await _opened(where), await _opened(where)
    mine = RebuildClaim(here, LEASE)
    try:
        assert await mine.take()
        assert await RebuildClaim(there, LEASE).ask_cancel()
        await asyncio.sleep(2 * LEASE / RENEWALS + 0.2)  # the holder's next renewal sees the request
        cancelled: list[bool] = []
        mine.on_cancel(lambda: cancelled.append(True))  # the build process starts only now
        assert cancelled == [True]
    finally:
        await mine.release()
        await here.close()
        await there.close()


HOLDER = """
import asyncio, sys
from bot.rebuild_claim import RebuildClaim
from bot.state import StateStore

async def main(where, seconds):
    state = StateStore(where)
    await state.open()
    claim = RebuildClaim(state, seconds)
    print("claimed" if await claim.take() else "refused", flush=True)
    await asyncio.sleep(3600)

where = sys.argv[1]
asyncio.run(main(where if where.startswith("postgresql") else __import__("pathlib").Path(where), float(sys.argv[2])))
"""


async def test_a_killed_holder_frees_the_claim_when_its_lease_expires(where):
    lease = 2.0
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        textwrap.dedent(HOLDER),
        str(where),
        str(lease),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    store = await _opened(where)
    claim = RebuildClaim(store, 30)
    try:
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 60)).strip() == b"claimed"
        await asyncio.sleep(1.5 * lease)  # alive: it renews, and nobody else may claim
        assert not await claim.take()

        holder.send_signal(signal.SIGKILL)  # no release, no goodbye
        await holder.wait()
        killed = time.monotonic()
        assert not await claim.take(), "its lease runs on for a while"
        while not await claim.take():
            assert time.monotonic() - killed < lease + 1, "the lease of a killed holder never expired"
            await asyncio.sleep(0.1)
        assert time.monotonic() - killed > 0.5 * lease, "free only once the lease renewed last had run out"
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await claim.release()
        await store.close()
