/*
 * SPIN model of the VMBus ring signalling protocol: vmbus/ring.c, ring.h.
 * README.md in this folder explains the checks; run.sh runs them.
 *
 * What is modelled: the shared header (write_index, read_index,
 * interrupt_mask, pending_send_sz) and the data area of a 64-byte ring, the
 * smallest vmbus_ring_init() accepts, counted in 8-byte units. Packets are
 * 3 units (descriptor + trailer, no payload) or 4 (8 bytes of payload), so
 * a writer that found no room may need more than the next packet frees and
 * the pending_send_sz crossing matters. Writers send one packet or a batch
 * of two (vmbus_ring_send_batch: as many as fit, one publish, one signal
 * decision); the reader's recv is peek, copy, consume, which is the same
 * sequence of shared accesses as peek + consume.
 *
 * Ring header 2 (docs/vmbus.md): each side caches the peer's index and
 * reloads it only when its cached view says empty (reader) or full (writer);
 * the reader keeps its read index privately and publishes it only when it
 * finds the ring empty or has held back STEP units; interrupt_mask is stored
 * only when it changes. The private copies are the arrays cr, cw, ownr, pub
 * and msk, touched only by ring k's writer (cr) or reader (the others).
 *
 * Memory model: sequential consistency, each shared access one atomic step,
 * in ring.c's order. ring.c makes the store that publishes an index (or
 * pending_send_sz, or interrupt_mask = 0) and the loads of the peer's state
 * after it seq_cst: that store->load order is the only reordering
 * release/acquire allows which signalling depends on. The BUG_NO_FENCE_*
 * variants model its absence by moving the loads before the store. Each atomic block below holds at most
 * one shared access (plus the process's own index, or data the process owns
 * at that point, which the peer cannot touch), so grouping adds no atomicity.
 * Copying packets in is folded into the write_index store that publishes
 * them (release/acquire make the bytes visible with the index); copying one
 * out is a step of its own before read_index is published, on bytes the
 * writer may not touch until then.
 *
 * Doorbell: one bool per sleeper, an interrupt that stays pending until
 * taken (the vGIC's pending bit). Ringing sets it; a sleeper blocks until it
 * is set and clears it; rings while it is set are lost (coalesced), which is
 * weaker than stress_ring.c's counting semaphore, so no lost wakeup here
 * implies none there. A woken process re-polls before sleeping again.
 *
 * Configurations: the default is one ring, a writer and a reader process
 * (as stress_ring.c). -DREQRESP: a channel, two rings, client A sends
 * requests on ring 0 and reads responses on ring 1, server B the reverse;
 * each side is one process with one doorbell (the channel interrupt), which
 * sleeps only when neither ring lets it progress.
 *
 * Checks: assertions (every packet arrives once, in order, intact, and the
 * rings end empty) and invalid end states (someone asleep forever: a lost
 * wakeup, or both asleep: a deadlock), with pan -DSAFETY; non-progress
 * cycles (a loop that spins without sending, receiving or sleeping), with
 * pan -DNP -l.
 */

/* Packets each way: 3 already fill both rings of a channel; 4 would take
 * ~600 MB for its non-progress check. */
#ifndef N
#ifdef REQRESP
#define N 3
#else
#define N 4
#endif
#endif
#ifndef S
#define S 8 /* data area: 64 bytes = 8 units */
#endif
#ifndef SMALL
#define SMALL 3 /* descriptor 16 + trailer 8 bytes */
#endif
#ifndef LARGE
#define LARGE 4 /* ... + 8 bytes of payload */
#endif
/*
 * vmbus_ring_set_wakeup(): a full writer asks for max(its packet, WAKEUP)
 * units. ring.c caps it at half the data area (4 units); BUG_WAKEUP_OVER_ROOM
 * asks for more than an empty ring has, so the crossing never comes.
 */
#ifdef BUG_WAKEUP_OVER_ROOM
#undef WAKEUP
#define WAKEUP S
#endif
#ifndef WAKEUP
#define WAKEUP 0
#endif

/*
 * The reader publishes read_index once it has held back STEP units (or finds
 * the ring empty). ring.c's step is a quarter of the data area, 2 units here,
 * less than any packet, so it would publish every packet; the model holds
 * back up to half, so that one packet is held back and the next published.
 * Liveness does not depend on the step: the publication at empty has all the
 * room there is. BUG_NO_PUBLISH_AT_EMPTY publishes at the step only.
 */
#ifndef STEP
#define STEP 4
#endif

/* ring.c's used() and room(), in units: one unit always stays free. */
#define USED(w, r) ((w) >= (r) -> (w) - (r) : S - (r) + (w))
#define ROOM(w, r) (S - 1 - USED(w, r))

#define OK    0
#define EMPTY 1
#define FULL  2

typedef Ring {
	byte w;	     /* write_index: stored by the writer only */
	byte r;	     /* read_index: stored by the reader only */
	bit mask;    /* interrupt_mask */
	byte pend;   /* pending_send_sz, in units */
	byte id[S];  /* the data: each unit holds its packet's sequence number */
	byte plen[S]; /* the descriptor's unit: the packet's length */
};
Ring ring[2];
bool bell[2]; /* a doorbell per sleeper */
bit pset[2];  /* ring k's writer's own: it stored pend, and clears it once (pending_set) */
byte cr[2];   /* ring k's writer's own: read_index as last loaded (ring->peer) */
byte cw[2];   /* ring k's reader's own: write_index as last loaded (ring->peer) */
byte ownr[2]; /* ring k's reader's own read index (own_read) */
byte pub[2];  /* ring k's reader's own: read_index as last stored (published) */
bit msk[2];   /* ring k's reader's own: interrupt_mask as last stored (masked) */

/*
 * The locals the inlines use; every proctype that calls them declares these.
 * Reset to 0 once dead so that states differing only in them merge.
 */
#define RING_LOCALS \
	byte w, rd, w2, next, got, rtot, i, p, res, at, last, nsent, space, bef; \
	bool sig, more, lis, rl

/* Sleep until the doorbell rings, then take it. */
#define SLEEP(me) atomic { bell[me]; bell[me] = false }

/* Copy a packet of sz units into the units from `at`; at moves past it. */
#define WRITE_PKT(k, seq, sz) \
	i = 0; \
	do \
	:: i < sz -> \
		ring[k].id[(at + i) % S] = seq; \
		ring[k].plen[(at + i) % S] = (i == 0 -> sz : 0); \
		i++ \
	:: else -> break \
	od; \
	i = 0; \
	at = (at + sz) % S

/*
 * Copy the batch (s0, then s1 if cnt == 2 and it fits in the space left),
 * then publish write_index (release); nsent = packets written, last = where
 * the last one starts.
 */
#define PUBLISH_W(k, seq, cnt, s0, s1) \
	d_step { \
		at = w; \
		WRITE_PKT(k, seq, s0); \
		nsent = 1; \
		last = w; \
		if \
		:: cnt == 2 && s1 <= space - s0 -> \
			last = at; \
			WRITE_PKT(k, seq + 1, s1); \
			nsent = 2 \
		:: else \
		fi; \
		ring[k].w = at; \
		at = 0; \
		space = 0 \
	}

/*
 * The signal decision, after the write_index store: the ring was empty
 * before the batch (read_index == the old write_index) and interrupt_mask
 * is clear. BUG_BATCH_LAST_PACKET: "before" taken as the start of the
 * batch's last packet, as a per-packet loop would.
 */
#ifdef BUG_BATCH_LAST_PACKET
#define WAS_EMPTY (rd == last)
#else
#define WAS_EMPTY (rd == w)
#endif

/*
 * vmbus_ring_send_batch() (vmbus_ring_send is a batch of one): the writer's
 * own write_index and its cached read_index; no room in that view: load
 * read_index. Still no room for the first packet: pending_send_sz = its size,
 * look at read_index again (seq_cst); still no room is FULL, and
 * pending_send_sz stays set. Else clear pending_send_sz, copy as many packets
 * as fit (reloading read_index once if the second does not fit the view and
 * it was not loaded yet), publish write_index (seq_cst), then load
 * interrupt_mask and read_index (seq_cst) for the signal decision.
 */
inline ring_send(k, seq, cnt, s0, s1)
{
	atomic { sig = false; nsent = 0; w = ring[k].w; rd = cr[k]; space = ROOM(w, rd) }
	if
	:: space < s0 -> atomic { rd = ring[k].r; cr[k] = rd; space = ROOM(w, rd); rl = true }
	:: else
	fi;
	if
	:: space < s0 ->
		atomic { ring[k].pend = (s0 > WAKEUP -> s0 : WAKEUP); pset[k] = 1 };
#ifndef BUG_NO_PENDING_RECHECK
		atomic { rd = ring[k].r; cr[k] = rd; space = ROOM(w, rd) };
#endif
		res = (space < s0 -> FULL : OK)
	:: else -> res = OK
	fi;
	if
	:: res == OK ->
		atomic {
			if
			:: pset[k] -> ring[k].pend = 0; pset[k] = 0
			:: else
			fi
		};
		if
		:: cnt == 2 && s1 > space - s0 && !rl ->
			atomic { rd = ring[k].r; cr[k] = rd; space = ROOM(w, rd) }
		:: else
		fi;
#ifdef BUG_NO_FENCE_SEND
		/* Release/acquire only: the loads pass the buffered write_index store. */
		lis = (ring[k].mask == 0);
		atomic { rd = ring[k].r; cr[k] = rd };
		PUBLISH_W(k, seq, cnt, s0, s1);
#else
		PUBLISH_W(k, seq, cnt, s0, s1);
		lis = (ring[k].mask == 0);
		atomic { rd = ring[k].r; cr[k] = rd };
#endif
		atomic { sig = (WAS_EMPTY && lis); w = 0; rd = 0; last = 0; lis = false; rl = false }
	:: else -> atomic { w = 0; rd = 0; space = 0; rl = false }
	fi
}

/* Copy the packet at rd out (checking it is whole) and zero its units. */
#define TAKE(k) \
	d_step { \
		got = ring[k].id[rd]; \
		rtot = ring[k].plen[rd]; \
		assert(rtot == SMALL || rtot == LARGE); \
		i = 0; \
		do \
		:: i < rtot -> \
			assert(ring[k].id[(rd + i) % S] == got); \
			ring[k].id[(rd + i) % S] = 0; \
			ring[k].plen[(rd + i) % S] = 0; \
			i++ \
		:: else -> break \
		od; \
		i = 0; \
		next = (rd + rtot) % S \
	}

/*
 * The crossing: the writer asked for p units; published room before this
 * publication (at bef) < p <= room after it. ring.c measures both against
 * the write index loaded after the read_index store (w2), and only while w2
 * has not moved into the freed space. BUG_STALE_CROSSING: "before" measured
 * against the write index the reader had cached (w), as the code before
 * commit f6938b7 did with the one loaded at the start of recv.
 */
#ifdef BUG_STALE_CROSSING
#define CROSSED (p != 0 && ROOM(w, bef) < p && ROOM(w2, next) >= p)
#else
#define CROSSED (p != 0 && USED(w2, bef) >= USED(next, bef) && ROOM(w2, bef) < p && ROOM(w2, next) >= p)
#endif

#ifdef BUG_NO_PUBLISH_AT_EMPTY
#define PUBLISH_NOW (USED(next, pub[k]) >= STEP)
#else
#define PUBLISH_NOW (next == cw[k] || USED(next, pub[k]) >= STEP)
#endif

/*
 * vmbus_ring_recv(): peek (own read index and cached write index; if equal,
 * load write_index; still equal is EMPTY), copy the packet out, consume (own
 * read index moves; if it reached the cached write index, load write_index;
 * then, if the ring is empty in that view or STEP units are held back,
 * publish read_index (seq_cst), load pending_send_sz, then write_index:
 * signal the writer iff CROSSED). Leaves got = the packet's sequence number.
 */
inline ring_recv(k)
{
	atomic {
		sig = false;
		rd = ownr[k];
		if
		:: cw[k] == rd -> cw[k] = ring[k].w
		:: else
		fi;
		w = cw[k]
	}
	if
	:: w == rd -> atomic { res = EMPTY; w = 0; rd = 0 }
	:: else ->
		TAKE(k);
		atomic {
			ownr[k] = next;
			if
			:: next == cw[k] -> cw[k] = ring[k].w
			:: else
			fi
		};
		if
		:: PUBLISH_NOW ->
			bef = pub[k];
#ifdef BUG_NO_FENCE_RECV
			/* Release/acquire only: the loads pass the buffered read_index store. */
			p = ring[k].pend;
			w2 = ring[k].w;
			atomic { ring[k].r = next; pub[k] = next };
#else
			atomic { ring[k].r = next; pub[k] = next };
			p = ring[k].pend;
			w2 = ring[k].w;
#endif
			atomic {
				if
				:: USED(w2, next) > USED(cw[k], next) -> cw[k] = w2
				:: else
				fi;
				sig = CROSSED
			}
		:: else
		fi;
		atomic { res = OK; w = 0; rd = 0; w2 = 0; next = 0; rtot = 0; p = 0; bef = 0 }
	fi
}

/* vmbus_ring_mask(): stores only if not masked already. */
#define RING_MASK(k) \
	atomic { \
		if \
		:: !msk[k] -> ring[k].mask = 1; msk[k] = 1 \
		:: else \
		fi \
	}

#define RING_EMPTY(k) (cw[k] == ownr[k] && ring[k].w == ownr[k])

/*
 * vmbus_ring_unmask(): clear interrupt_mask (if set), then (seq_cst) more =
 * not vmbus_ring_empty(): the cached write index or write_index differs from
 * the reader's own index.
 */
inline ring_unmask(k)
{
#if defined(BUG_NO_RECHECK_AFTER_UNMASK)
	atomic { ring[k].mask = 0; msk[k] = 0 };
	more = false /* the reader sleeps straight after unmasking */
#elif defined(BUG_NO_FENCE_UNMASK)
	/* Release/acquire only: the load passes the buffered interrupt_mask store. */
	more = !RING_EMPTY(k);
	atomic { ring[k].mask = 0; msk[k] = 0 }
#else
	atomic {
		if
		:: msk[k] -> ring[k].mask = 0; msk[k] = 0
		:: else
		fi
	};
	more = !RING_EMPTY(k)
#endif
}

#ifndef REQRESP

/* ------------------------------------------------- one ring (stress_ring.c) */
#define WRITER 0
#define READER 1

proctype Writer()
{
	RING_LOCALS;
	byte seq = 1, cnt, s0, s1;

	do
	:: seq > N -> break
	:: else ->
		/* One packet or a batch of two, of either size (as stress_ring.c). */
		if
		:: s0 = SMALL
		:: s0 = LARGE
		fi;
		if
		:: seq < N ->
			if
			:: cnt = 1
			:: cnt = 2;
				if
				:: s1 = SMALL
				:: s1 = LARGE
				fi
			fi
		:: else -> cnt = 1
		fi;
again:
		ring_send(0, seq, cnt, s0, s1);
		if
		:: res == OK ->
			if
			:: sig -> bell[READER] = true
			:: else
			fi;
progress_send:
			atomic {
				seq = seq + nsent;
				cnt = cnt - nsent;
				s0 = (cnt > 0 -> s1 : 0);
				s1 = 0; nsent = 0; sig = false; res = 0
			};
			if
			:: cnt > 0 -> goto again /* the rest of the batch, straight away */
			:: else
			fi
		:: else ->
			/* FULL: pending_send_sz is set, the reader will ring. */
			SLEEP(WRITER);
			goto again
		fi
	od
}

/* Masks, drains, unmasks; sleeps only when the unmask re-check says empty. */
proctype Reader()
{
	RING_LOCALS;
	byte expect = 1;

	do
	:: RING_MASK(0);
		do
		:: ring_recv(0);
			if
			:: sig -> bell[WRITER] = true
			:: else
			fi;
			if
			:: res == EMPTY -> break
			:: else ->
				assert(got == expect);
progress_recv:
				atomic { expect++; got = 0; sig = false; res = 0 };
				if
				:: expect > N -> goto done
				:: else
				fi
			fi
		od;
		atomic { sig = false; res = 0 };
		ring_unmask(0);
		if
		:: !more -> SLEEP(READER)
		:: else -> more = false
		fi
	od;
done:
	skip
}

init
{
	atomic {
		run Writer();
		run Reader()
	};
	_nr_pr == 1;
	assert(ring[0].w == ring[0].r && ring[0].pend == 0)
}

#else

/* ------------------------------------------------- request/response channel */
#define A 0 /* client: requests on ring 0, responses from ring 1 */
#define B 1 /* server: requests from ring 0, responses on ring 1 */

/*
 * A VSC/VSP loop: try the writer role, then drain the in ring masked; sleep
 * only if neither moved and the unmask re-check found nothing. The server
 * answers one request at a time: holding an unsent answer it stops reading
 * (back-pressure), leaving the in ring masked since it cannot take more.
 */
proctype Side(byte me; byte out; byte in; bool server)
{
	RING_LOCALS;
	byte sent, recvd, cnt, s0, s1;
	bool moved;

	do
	:: (server && sent == N) || (!server && recvd == N) -> break
	:: else ->
		/* Writer role: the next requests (a batch of up to two), or the answer. */
		if
		:: (server -> recvd > sent : sent < N) ->
			if
			:: cnt == 0 ->
				if
				:: s0 = SMALL
				:: s0 = LARGE
				fi;
				if
				:: !server && sent + 1 < N ->
					if
					:: cnt = 1
					:: cnt = 2;
						if
						:: s1 = SMALL
						:: s1 = LARGE
						fi
					fi
				:: else -> cnt = 1
				fi
			:: else
			fi;
			ring_send(out, sent + 1, cnt, s0, s1);
			if
			:: res == OK ->
				if
				:: sig -> bell[1 - me] = true
				:: else
				fi;
progress_send:
				atomic {
					sent = sent + nsent;
					cnt = cnt - nsent;
					s0 = (cnt > 0 -> s1 : 0);
					s1 = 0; nsent = 0; moved = true; sig = false; res = 0
				}
			:: else /* FULL: pending_send_sz is set, the peer will ring */
			fi
		:: else
		fi;
		/* Reader role. */
		if
		:: (server -> recvd == sent : true) ->
			RING_MASK(in);
			do
			:: ring_recv(in);
				if
				:: sig -> bell[1 - me] = true
				:: else
				fi;
				if
				:: res == EMPTY -> break
				:: else ->
					assert(got == recvd + 1);
progress_recv:
					atomic { recvd++; got = 0; moved = true; sig = false; res = 0 };
					if
					:: server -> break /* answer it first */
					:: else
					fi
				fi
			od;
			if
			:: res == EMPTY ->
				ring_unmask(in);
				atomic { moved = moved || more; more = false; res = 0; sig = false }
			:: else
			fi
#ifdef BUG_POLL_WITHOUT_TAKING
		:: else ->
			/* Polls the ring it cannot take from: data there counts as work. */
			ring_unmask(in);
			atomic { moved = moved || more; more = false }
#else
		:: else
#endif
		fi;
		if
		:: !moved -> SLEEP(me)
		:: else -> moved = false
		fi
	od
}

init
{
	atomic {
		run Side(A, 0, 1, false);
		run Side(B, 1, 0, true)
	};
	_nr_pr == 1;
	assert(ring[0].w == ring[0].r && ring[0].pend == 0);
	assert(ring[1].w == ring[1].r && ring[1].pend == 0)
}

#endif
