/* The region mutex protocol of os/mutex*.cc and os/mutex.h's inline paths
 * (spin kind and file-lock kind), as written down in os/internal/mutex_word.h,
 * for SPIN (Debian: spin).
 * Run through ci/model-check; switches (spin -D...):
 *   OLD=1       the protocol at commit 7815ce1: 32-bit word without a
 *               generation, owner record read field by field, no waiters bit
 *               for a sleeper's takeover, no wake passed on, EDEADLK on the id.
 *   FILELOCK=1  the file-lock kind (byte-range lock around the test-and-set,
 *               pollers, no futex) instead of the spin kind (futex).
 *   REUSE=1     a restarted thread gets the id of the dead one (0: a new id).
 *   DEATHS=n    how many threads may die, each at any step (then restart).
 *   ITER=n      lock/unlock rounds of process 0 (processes 1 and 2 make one;
 *               process 1 uses LockFor, the others Lock): the smallest roles
 *               that reach every interleaving of issue 15.
 * N = 3 processes of one thread each.
 *
 * Granularity (what makes the exhaustive search fit in minutes): every
 * process is a state machine whose steps are each ONE access to shared memory
 * (or to the platform: the liveness query, the futex, the byte lock) plus the
 * purely local computation that follows it up to the next shared access, in
 * one atomic step. Local computation is invisible to the other processes, so
 * this loses no interleaving of shared accesses (the standard reduction).
 * Local variables are cleared as soon as they are dead, so that states which
 * differ only in stale locals are one state. Two merges of shared reads go
 * further, each exact for this protocol (argued where they are made):
 *   - the snapshot's first load of the word is the loop's load of it (the
 *     code loads it twice and retries unless both tags are equal; a tag never
 *     recurs, so equal tags mean the word did not change its tag between the
 *     loads, and a load has no effect);
 *   - the record (tag and start stamp) is read in one step: records are
 *     written only by the holder of the current acquisition, once, so a
 *     record read while the word keeps one tag is the same at any instant
 *     of the read where it matters (when its tag equals the word's);
 *   - the uncontended fast paths (Mutex::Lock/Unlock) expect a value guessed
 *     from the record (its tag) instead of loading the word first: a CAS
 *     with a wrong guess changes nothing and hands back the word, so it is
 *     the loop's load of the word, and a right guess is the CAS modelled.
 * The 64-bit lock word and the 64-bit record tag are single words; futex
 * wait (compare and sleep) and wake (one sleeper) are atomic steps.
 * A death is possible before every step that writes shared state (and during
 * every sleep and every blocking wait), which is "at any step": a death right
 * after a step that only reads is the same as a death before that read (the
 * read changed only the thread's locals, which the death discards), and from
 * every reading step a path of reads leads to a writing step. A death
 * discards the thread's locals, clears its liveness, and restarts the
 * process as a new thread.
 *
 * Properties (ghost state; a violated assertion is a counterexample):
 *   mutex    at most one live thread holds the mutex (assert)
 *   dead     a takeover succeeds only against an acquisition whose thread
 *            is dead (assert)
 *   once     takeovers <= deaths of holders: one takeover per death (assert)
 *   edeadlk  EDEADLK only to the thread that holds it (assert)
 *   wake     no lost wake-up: a thread asleep in Lock is woken by an unlock,
 *            never left to a timeout, unless the holder is dead. Sleeps end
 *            only by a wake, a LockFor deadline, or the timed liveness
 *            re-check when the holder is dead or an unlocker died between its
 *            release and its wake, or a woken thread died before it took
 *            the mutex or slept again (no futex protocol can do better: that
 *            wake is gone with the dead thread; the code's timed re-check,
 *            at most kCheckCap later, is the remedy); a lost wake-up leaves a
 *            sleeper blocked for ever: an invalid end state.
 * Timing assumption (the only one): a live thread writes its owner record
 * before another waiter's kUnrecordedDeadline (2 s) runs out; so the model lets
 * the deadline verdict "dead" happen only when that owner is in fact dead.
 */
#ifndef OLD
#define OLD 0
#endif
#ifndef FILELOCK
#define FILELOCK 0
#endif
#ifndef REUSE
#define REUSE 1
#endif
#ifndef DEATHS
#define DEATHS 1
#endif
#ifndef ITER
#define ITER 2
#endif
#ifndef PROP
#define PROP 0
#endif
#define N 3
#define NTID 10
#define NSTAMP 8

/* The lock word: generation | waiters bit | owner tid (0 = free). */
byte gen;
bit  wbit;
byte tid;
/* The owner record: tag (generation, tid) is one word; then the start stamp.
 * (pid adds nothing the start stamp does not already tell in the model.) */
byte rec_gen;
byte rec_tid;
byte rec_start;
/* The platform: alive[t] = start stamp of the running thread with id t. */
byte alive[NTID];
bit  sleeping[N];
byte bytelock;     /* file-lock kind: holder process + 1 of the byte lock */
/* Ghosts. */
byte acq_stamp;        /* start stamp of the thread whose acquisition is current */
bit  stamp_alive[NSTAMP];
bit  holding[N];
bit  owes_wake[N];     /* released a word with the waiters bit, wake not yet made */
bit  woken[N];         /* woken by a wake, not yet acquired or asleep again */
byte lost_wakes;       /* wakes lost with a thread that died owing or holding one */
byte holders;
byte held_deaths;
byte takeovers;
byte deaths_left = DEATHS;
byte clock;

/* The death of process p's thread: its liveness gone, what it held released
 * by the kernel (the byte lock) or left behind (the word, a wake it owed),
 * its locals discarded; the process restarts as a new thread. */
#define DEATH \
    alive[me] = 0; \
    stamp_alive[mystart] = 0; \
    if :: holding[p] -> holding[p] = 0; holders--; held_deaths++ :: else -> skip fi; \
    sleeping[p] = 0; \
    if :: owes_wake[p] -> owes_wake[p] = 0; lost_wakes++ :: else -> skip fi; \
    if :: woken[p] -> woken[p] = 0; lost_wakes++ :: else -> skip fi; \
    if :: bytelock == p + 1 -> bytelock = 0 :: else -> skip fi; \
    inc++; \
    if :: iter >= rounds -> iter = rounds - 1 :: else -> skip fi; \
    s_gen = 0; s_tid = 0; s_w = 0; r_gen = 0; r_tid = 0; r_start = 0; recorded = 0; \
    slept = 0; expired = 0; took = 0; me = 0; mystart = 0; \
    goto restart

/* The properties' assertions: all of them (PROP=0), or only one, so that a
 * search of the old protocol shows each property's own counterexample
 * (PROP=1 mutex, 2 dead, 3 once, 4 edeadlk; 5 none: wake, whose violation is
 * an invalid end state, which pan checks unless told -E). */
#if PROP == 0 || PROP == 1
#define CHECK_MUTEX(e) assert(e)
#else
#define CHECK_MUTEX(e) skip
#endif
#if PROP == 0 || PROP == 2
#define CHECK_DEAD(e) assert(e)
#else
#define CHECK_DEAD(e) skip
#endif
#if PROP == 0 || PROP == 3
#define CHECK_ONCE(e) assert(e)
#else
#define CHECK_ONCE(e) skip
#endif
#if PROP == 0 || PROP == 4
#define CHECK_EDEADLK(e) assert(e)
#else
#define CHECK_EDEADLK(e) skip
#endif

/* A death, possible before every step of a thread (see the header). */
#if DEATHS > 0
#define DIE :: atomic { deaths_left > 0 -> deaths_left--; DEATH }
#else
#define DIE
#endif

/* One acquisition CAS, with the ghost bookkeeping of the properties. */
#define acquired(p) \
  if \
  :: s_tid != 0 -> \
     CHECK_DEAD(!stamp_alive[acq_stamp]);  /* dead: takeover only of the dead */ \
     takeovers++; \
     CHECK_ONCE(takeovers <= held_deaths)  /* once */ \
  :: else -> skip \
  fi; \
  acq_stamp = mystart; \
  woken[p] = 0; \
  holding[p] = 1; \
  holders++; \
  CHECK_MUTEX(holders <= 1)                /* mutex */

/* Back to the loop's load of the word, every snapshot local dead. */
#define RETRY s_gen = 0; s_tid = 0; s_w = 0; r_gen = 0; r_tid = 0; r_start = 0; recorded = 0; goto top

/* Wakes one sleeper (FUTEX_WAKE of one), if any. */
#define WAKE_ONE \
  if \
  :: sleeping[0] -> sleeping[0] = 0; woken[0] = 1 \
  :: sleeping[1] -> sleeping[1] = 0; woken[1] = 1 \
  :: sleeping[2] -> sleeping[2] = 0; woken[2] = 1 \
  :: else -> skip \
  fi

proctype P(byte p) {
  byte me, mystart, inc, iter;
  byte s_gen, s_tid, r_gen, r_tid, r_start;
  bit s_w, recorded, slept, expired, took;
  bit lockfor = (p == 1);  /* LockFor can always go on waiting: it covers Lock */
  byte rounds = (p == 0 -> ITER : 1);

restart:
  atomic {
    me = (REUSE -> p + 1 : p + 1 + N * inc);
    clock++;
    mystart = clock;
    alive[me] = mystart;
    stamp_alive[mystart] = 1;
    if
    :: iter >= rounds -> goto finished
    :: else -> goto top
    fi
  };

  /* ---- Lock / LockFor: the loop's load of the word ---- */
top:
  if
  :: atomic {
       s_gen = gen; s_tid = tid; s_w = wbit;
       if
       :: s_tid == 0 -> goto cas_free
       :: s_tid == me -> goto snap                  /* carries our id: whose? */
       :: s_tid != 0 && s_tid != me && !expired ->
          if
          :: goto snap                               /* liveness check due */
#if !FILELOCK
          :: s_w == 0 -> goto setbit                 /* wait: announce, sleep */
          :: s_w == 1 -> goto futex                  /* wait: sleep */
#endif
          fi
       :: s_tid != 0 && s_tid != me && expired ->   /* LockFor deadline passed */
          if
          :: goto snap                               /* its last check */
#if !OLD && !FILELOCK
          :: slept -> goto give_up                   /* Timeout, passing a wake on */
          :: !slept -> goto end_round                /* Timeout */
#else
          :: goto end_round                          /* Timeout */
#endif
          fi
       fi
     }
  fi;

  /* ---- the free word's acquisition ---- */
cas_free:
#if FILELOCK
  /* the byte lock around the test-and-set (blocks; a death releases it) */
  if
  :: atomic { bytelock == 0 -> bytelock = p + 1; goto fcas }
  DIE
  fi;
#else
  if
  :: atomic {
       if
       :: gen == s_gen && tid == 0 && wbit == s_w ->
#if !OLD
          gen = s_gen + 1;
#endif
          /* a thread that slept keeps the waiters bit (both protocols) */
          wbit = slept; tid = me; took = 1; acquired(p);
          s_gen = 0; s_tid = 0; s_w = 0; goto record
       :: else -> RETRY
       fi
     }
  DIE
  fi;
#endif

  /* ---- the snapshot of (word, record) and the verdict ---- */
snap:
#if OLD
  /* field by field, no re-check: tid, then start */
  if
  :: atomic { r_tid = rec_tid; goto snap_old }
  fi;
snap_old:
  if
  :: atomic {
       r_start = rec_start;
       recorded = (r_tid == s_tid);
       if
       :: s_tid == me -> CHECK_EDEADLK(holding[p]); RETRY   /* edeadlk: EDEADLK on the id */
       :: else -> goto judge
       fi
     }
  fi;
#else
  /* the record's tag and stamp (one step: see the header) */
  if
  :: atomic { r_gen = rec_gen; r_tid = rec_tid; r_start = rec_start; goto reread }
  fi;
reread:
  /* the word again: the snapshot holds only if its tag did not change */
  if
  :: atomic {
       if
       :: gen == s_gen && tid == s_tid ->
          s_w = wbit;
          recorded = (r_gen == s_gen && r_tid == s_tid);
          if :: recorded -> skip :: else -> r_start = 0 fi;
          r_gen = 0; r_tid = 0;
          if
          :: s_tid == me ->
             if
             :: recorded && r_start == mystart ->
                CHECK_EDEADLK(holding[p]); RETRY           /* edeadlk */
             :: else -> r_start = 0; recorded = 0; goto take  /* a dead thread's: ours now */
             fi
          :: else -> goto judge
          fi
       :: else -> RETRY
       fi
     }
  fi;
#endif

judge:
  /* the platform's liveness query for the snapshot's owner */
  if
  :: atomic {
       if
       :: recorded ->
          if
          :: alive[s_tid] == r_start -> RETRY             /* alive: wait */
          :: else -> r_start = 0; recorded = 0; goto take  /* dead */
          fi
       :: else ->
          if
          :: alive[s_tid] == 0 -> goto take                 /* no such thread */
          :: else ->
#if OLD
             RETRY                       /* waits as long as the id lives: for ever */
#else
             if
             :: RETRY
             :: !(gen == s_gen && tid == s_tid && stamp_alive[acq_stamp]) ->
                goto take                /* kUnrecordedDeadline ran out */
             fi
#endif
          fi
       fi
     }
  fi;

  /* ---- takeover of exactly the acquisition judged dead ---- */
take:
#if FILELOCK
  if
  :: atomic { bytelock == 0 -> bytelock = p + 1; goto fcas }
  DIE
  fi;
#else
  if
  :: atomic {
       if
#if OLD
       :: tid == s_tid && wbit == s_w ->
          wbit = 0;                      /* the takeover wrote its tid alone */
#else
       :: gen == s_gen && tid == s_tid && wbit == s_w ->
          gen = s_gen + 1; wbit = s_w | slept;
#endif
          tid = me; took = 1; acquired(p);
          s_gen = 0; s_tid = 0; s_w = 0; goto record
       :: else -> RETRY
       fi
     }
  DIE
  fi;
#endif

#if FILELOCK
  /* under the byte lock: test-and-set of the word judged (free or dead) */
fcas:
#if OLD
  if
  :: atomic { took = (tid == s_tid); goto fset }
  DIE
  fi;
fset:
  if
  :: took -> if
             :: atomic { tid = me; acquired(p); goto frecord }
             DIE
             fi
  :: else -> goto bunlock
  fi;
#else
  if
  :: atomic {
       if
       :: gen == s_gen && tid == s_tid ->
          gen = s_gen + 1; tid = me; took = 1; acquired(p); goto frecord
       :: else -> took = 0; goto bunlock
       fi
     }
  DIE
  fi;
#endif
frecord:
#if OLD
  if
  :: atomic { rec_start = mystart; goto frecord2 }
  DIE
  fi;
frecord2:
  if
  :: atomic { rec_tid = me; goto bunlock }
  DIE
  fi;
#else
  if
  :: atomic { rec_start = mystart; rec_gen = gen; rec_tid = me; goto bunlock }
  DIE
  fi;
#endif
bunlock:
  if
  :: atomic {
       bytelock = 0;
       s_gen = 0; s_tid = 0; s_w = 0; r_gen = 0; r_tid = 0; r_start = 0; recorded = 0;
       if
       :: took -> goto cs
       :: else -> goto top
       fi
     }
  DIE
  fi;
#endif

  /* ---- the owner record, right after the CAS ---- */
record:
#if OLD
  /* pid and start, then the tid, each a store */
  if
  :: atomic { rec_start = mystart; goto record2 }
  DIE
  fi;
record2:
  if
  :: atomic { rec_tid = me; goto cs }
  DIE
  fi;
#else
  /* the start and the tag in one step: a reader uses the start only under a
   * matching tag and a re-read word, so whether the start store came first
   * is immaterial here (its order in C++ is the release fence and release
   * tag store of Publish). */
  if
  :: atomic { rec_start = mystart; rec_gen = gen; rec_tid = me; goto cs }
  DIE
  fi;
#endif

  /* ---- waiting (spin kind: the futex; file-lock kind: polling) ---- */
#if !FILELOCK
setbit:
  if
  :: atomic {                       /* set the waiters bit (CAS) */
       if
       :: gen == s_gen && tid == s_tid && wbit == 0 -> wbit = 1; s_w = 1; goto futex
       :: else -> RETRY
       fi
     }
  DIE
  fi;
futex:
  if
  :: atomic {                       /* FUTEX_WAIT on the low half: tid | bit */
       s_gen = 0;
       if
       :: tid == s_tid && wbit == 1 -> s_tid = 0; s_w = 0; woken[p] = 0; sleeping[p] = 1; goto asleep
       :: else -> slept = 1; RETRY  /* EAGAIN */
       fi
     }
  DIE
  fi;
asleep:
  if
  :: atomic { !sleeping[p] -> slept = 1; goto top }       /* woken */
  :: atomic { !sleeping[p] && lockfor ->                  /* woken, but its deadline */
              slept = 1; expired = 1; goto top }          /* passed before it looked */
  :: atomic { sleeping[p] && lockfor -> sleeping[p] = 0; expired = 1; slept = 1; goto top }
  :: atomic { sleeping[p] && (tid != 0 && !stamp_alive[acq_stamp] || lost_wakes > 0) ->
              sleeping[p] = 0; slept = 1; goto top }      /* the timed liveness re-check */
  DIE
  fi;
#endif

#if !OLD && !FILELOCK
  /* ---- LockFor gives up after sleeping: pass a consumed wake on ---- */
give_up:
  if
  :: atomic { WAKE_ONE; goto end_round }
  DIE
  fi;
#endif

  /* ---- critical section, then Unlock ---- */
cs:
  if
  :: atomic {
#if OLD
       rec_tid = 0; goto unlock_old
     }
  DIE
  fi;
unlock_old:
  if
  :: atomic {
#endif
       holders--; holding[p] = 0;
       s_w = wbit; tid = 0; wbit = 0; owes_wake[p] = s_w;
       took = 0;
#if FILELOCK
       s_w = 0; goto end_round
#else
       if
       :: s_w -> s_w = 0; goto unlock_wake
       :: else -> goto end_round
       fi
#endif
     }
  DIE
  fi;
#if !FILELOCK
unlock_wake:
  if
  :: atomic { owes_wake[p] = 0; WAKE_ONE; goto end_round }    /* FUTEX_WAKE one */
  DIE
  fi;
#endif

end_round:
  atomic {
    iter++; slept = 0; expired = 0; s_gen = 0; s_tid = 0; s_w = 0; woken[p] = 0;
    if
    :: iter >= rounds -> goto finished
    :: else -> goto top
    fi
  };


finished:
  skip
}

init {
  atomic {
    run P(0); run P(1); run P(2)
  }
}
