"""A fair queue for training on a shared server: at most ``slots`` trainings at once.

Every training takes a turn. When a slot frees, it goes to the waiting training whose owner (a
session) has the fewest trainings running, then whose owner was served longest ago, then the
one that came first: a sweep's many cells take turns like single runs but cannot starve them,
since a person who has not been served goes ahead of a sweep's next cell. A waiter learns its place and a
running estimate of its wait (the remaining estimated seconds of the trainings running and
ahead of it, shared by the slots); leaving the queue (a Stop, a closed tab: an exception out of
the waiting callback) gives the place up.
"""

import itertools
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(eq=False)
class Ticket:
    owner: str
    seconds: float                 # the training's estimated duration
    number: int
    started: float = None          # when it got its slot (perf_counter), None while waiting
    arrived: float = field(default_factory=time.perf_counter)


class TrainingQueue:
    """At most ``slots`` trainings at once; the others wait their turn (see the module's docstring)."""

    def __init__(self, slots):
        self.slots = max(1, int(slots))
        self._cond = threading.Condition()
        self._numbers = itertools.count()
        self._waiting = []
        self._running = []
        self._served = {}  # owner -> when it last got a slot (kept while it has tickets)

    def _order(self):
        """The waiting tickets in the order they will run."""
        running = Counter(t.owner for t in self._running)
        return sorted(self._waiting, key=lambda t: (running[t.owner], self._served.get(t.owner, -1.0), t.number))

    def _next(self):
        order = self._order()
        return order[0] if order else None

    def _place(self, ticket):
        """(1-based place in line, estimated seconds until a slot) of a waiting ticket."""
        order = self._order()
        ahead = order[:order.index(ticket)]
        now = time.perf_counter()
        remaining = sum(max(0.0, t.seconds - (now - t.started)) for t in self._running)
        return len(ahead) + 1, (remaining + sum(t.seconds for t in ahead)) / self.slots

    def join(self, owner, seconds=1.0):
        """A ticket in line for ``owner`` (a session), for a training of about ``seconds``."""
        ticket = Ticket(owner, float(seconds), next(self._numbers))
        with self._cond:
            self._waiting.append(ticket)
        return ticket

    def try_start(self, ticket):
        """Give ``ticket`` its slot if it is its turn and a slot is free; True once it holds one."""
        with self._cond:
            if ticket in self._running:
                return True
            if len(self._running) < self.slots and self._next() is ticket:
                self._waiting.remove(ticket)
                ticket.started = self._served[ticket.owner] = time.perf_counter()
                self._running.append(ticket)
                return True
            return False

    def place(self, ticket):
        """(1-based place in line, estimated seconds until a slot) of a waiting ticket."""
        with self._cond:
            return self._place(ticket)

    def leave(self, ticket):
        """Give up the ticket's place or slot."""
        with self._cond:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket in self._running:
                self._running.remove(ticket)
            if not any(t.owner == ticket.owner for t in self._waiting + self._running):
                self._served.pop(ticket.owner, None)
            self._cond.notify_all()

    @contextmanager
    def turn(self, owner, seconds=1.0, on_wait=None, poll=0.5):
        """Wait for a slot, hold it for the block, give it back. While waiting, ``on_wait(place,
        seconds_to_wait)`` is called about every ``poll`` seconds; an exception from it (or from
        the block) leaves the queue."""
        ticket = self.join(owner, seconds)
        try:
            while not self.try_start(ticket):
                if on_wait is not None:
                    on_wait(*self.place(ticket))
                with self._cond:
                    self._cond.wait(poll)
            yield ticket
        finally:
            self.leave(ticket)

    def status(self):
        """(running, waiting) counts."""
        with self._cond:
            return len(self._running), len(self._waiting)
