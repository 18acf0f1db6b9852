/* The region mutex protocol of os/mutex.cc (spin kind and file-lock kind),
 * as written down in os/internal/mutex_word.h, for SPIN (Debian: spin).
 * Run through ci/model-check; switches (spin -D...):
 *   OLD=1       the protocol at commit 7815ce1: 32-bit word without a
 *               generation, owner record read field by field, no waiters bit
 *               for a sleeper's takeover, no wake passed on, EDEADLK on the id.
 *   FILELOCK=1  the file-lock kind (byte-range lock around the test-and-set,
 *               pollers, no futex) instead of the spin kind (futex).
 *   REUSE=1     a restarted thread gets the id of the dead one (0: a new id).
 *   DEATHS=n    how many threads may die, each at any step (then restart).
 *   ITER=n      lock/unlock rounds of process 0 (processes 1 and 2 make one;
 *               process 1 may use LockFor, the others Lock): the smallest
 *               roles that reach every interleaving of issue 15.
 * N = 3 processes of one thread each. Every shared-memory access is one step
 * (the 64-bit lock word and the 64-bit record tag are single words); futex
 * wait (compare and sleep) and wake (one sleeper) are atomic steps.
 *
 * Properties (ghost state; a violated assertion is a counterexample):
 *   mutex    at most one live thread holds the mutex (assert + LTL p_mutex)
 *   dead     a takeover succeeds only against an acquisition whose thread
 *            is dead (assert)
 *   once     takeovers <= deaths of holders: one takeover per death (assert)
 *   edeadlk  EDEADLK only to the thread that holds it (assert)
 *   wake     no lost wake-up: a thread asleep in Lock is woken by an unlock,
 *            never left to a timeout, unless the holder is dead. Sleeps end
 *            only by a wake, a LockFor deadline, or the timed liveness re-check
 *            when the holder is dead or an unlocker died between its release
 *            and its wake (no futex protocol can do better: that wake is gone); a lost wake-up leaves a sleeper blocked for ever: an
 *            invalid end state (and LTL p_wake fails).
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
byte lost_wakes;       /* wakes lost because the unlocker died before making them */
byte holders;
byte held_deaths;
byte takeovers;
byte deaths_left = DEATHS;
bit  kill[N];
bit  done[N];
byte clock;

ltl p_mutex { [] (holders <= 1) }
ltl p_wake { [] ((sleeping[0] || sleeping[1] || sleeping[2]) -> <> (!sleeping[0] && !sleeping[1] && !sleeping[2] || tid != 0)) }

/* Kills any one running thread at any step, DEATHS times in all. */
active proctype Killer() {
  do
  :: atomic { deaths_left > 0 && !done[0] && !kill[0] -> kill[0] = 1; deaths_left-- }
  :: atomic { deaths_left > 0 && !done[1] && !kill[1] -> kill[1] = 1; deaths_left-- }
  :: atomic { deaths_left > 0 && !done[2] && !kill[2] -> kill[2] = 1; deaths_left-- }
  :: deaths_left == 0 -> break
  :: done[0] && done[1] && done[2] -> break
  od
}

/* One acquisition CAS, with the ghost bookkeeping of the properties. */
inline acquired(p) {
  if
  :: s_tid != 0 ->
     assert(!stamp_alive[acq_stamp]);      /* dead: takeover only of the dead */
     takeovers++;
     assert(takeovers <= held_deaths)      /* once */
  :: else -> skip
  fi;
  acq_stamp = mystart;
  holding[p] = 1;
  holders++;
  assert(holders <= 1)                     /* mutex */
}

/* The seqlock snapshot of (word, record); OLD: field by field, no check. */
inline snapshot() {
#if OLD
  r_tid = rec_tid;
  r_start = rec_start;
  recorded = (r_tid == s_tid);
  stable = 1
#else
  o_gen = s_gen; o_tid = s_tid;            /* the acquisition being judged */
  atomic { s_gen = gen; s_tid = tid; s_w = wbit };
  atomic { r_gen = rec_gen; r_tid = rec_tid };
  r_start = rec_start;
  atomic { stable = (gen == s_gen && tid == s_tid && s_gen == o_gen && s_tid == o_tid); s_w = wbit };
  recorded = (r_gen == s_gen && r_tid == s_tid)
#endif
}

/* verdict: 0 wait (alive), 1 take (dead) */
inline forget() {
  d_step { r_gen = 0; r_tid = 0; r_start = 0; o_gen = 0; o_tid = 0; recorded = 0; stable = 0 }
}

inline judge() {
  if
  :: recorded ->
     if
     :: alive[s_tid] == r_start -> verdict = 0
     :: else -> verdict = 1
     fi
  :: else ->
     if
     :: alive[s_tid] == 0 -> verdict = 1
     :: else ->
#if OLD
        verdict = 0               /* waits as long as the id lives: for ever */
#else
        if
        :: verdict = 0
        :: !(gen == s_gen && tid == s_tid && stamp_alive[acq_stamp]) ->
           verdict = 1            /* kUnrecordedDeadline ran out */
        fi
#endif
     fi
  fi
}

/* OLD: pid and start, then the tid, each a store. Fixed: the start and the
 * tag in one step: a reader uses the start only under a matching tag and a
 * re-read word, so whether the start store came first is immaterial here (its
 * order in C++ is the release fence and release tag store of Publish). */
inline record() {
#if OLD
  rec_start = mystart;
  rec_tid = me
#else
  atomic { rec_start = mystart; rec_gen = gen; rec_tid = me }
#endif
}

proctype P(byte p) {
  byte me, mystart, inc, iter;
  byte s_gen, s_tid, o_gen, o_tid, r_gen, r_tid, r_start;
  bit s_w, recorded, stable, slept, expired, took, verdict, lockfor;
  byte rounds = (p == 0 -> ITER : 1);

restart:
  atomic {
    me = (REUSE -> p + 1 : p + 1 + N * inc);
    clock++;
    mystart = clock;
    alive[me] = mystart;
    stamp_alive[mystart] = 1
  };
  {
    do
    :: iter < rounds ->
       d_step { slept = 0; expired = 0; took = 0; lockfor = 0 };
       if :: skip :: p == 1 -> lockfor = 1 fi;
       /* ---- Lock / LockFor ---- */
       do
       :: atomic { forget(); verdict = 0; s_gen = gen; s_tid = tid; s_w = wbit };
          if
          :: s_tid == 0 ->
#if FILELOCK
             atomic { bytelock == 0 -> bytelock = p + 1 };
#if OLD
             took = (tid == 0);
             if :: took -> atomic { tid = me; acquired(p) } :: else -> skip fi;
#else
             atomic {
               if
               :: gen == s_gen && tid == 0 -> gen = s_gen + 1; tid = me; took = 1; acquired(p)
               :: else -> took = 0
               fi
             };
#endif
             if :: took -> record() :: else -> skip fi;
             bytelock = 0;
             if :: took -> break :: else -> skip fi
#else
             atomic {
               if
               :: gen == s_gen && tid == 0 && wbit == s_w ->
#if OLD
                  wbit = slept;
#else
                  gen = s_gen + 1; wbit = slept;
#endif
                  tid = me; took = 1; acquired(p)
               :: else -> took = 0
               fi
             };
             if :: took -> record(); break :: else -> skip fi
#endif
          :: s_tid == me ->
             snapshot();
#if OLD
             assert(holding[p])               /* edeadlk: old code says EDEADLK here */
#else
             if
             :: !stable -> skip
             :: stable && recorded && r_start == mystart ->
                assert(holding[p])            /* edeadlk */
             :: else -> forget(); verdict = 1; goto takeover
             fi
#endif
          :: s_tid != 0 && s_tid != me ->
             if
             :: /* liveness check due */
                snapshot();
                if
                :: !stable -> skip
                :: else ->
                   judge();
                   forget();
                   if
                   :: verdict == 1 ->
takeover:
#if FILELOCK
                      atomic { bytelock == 0 -> bytelock = p + 1 };
#if OLD
                      took = (tid == s_tid);
                      if :: took -> atomic { tid = me; acquired(p) } :: else -> skip fi;
#else
                      atomic {
                        if
                        :: gen == s_gen && tid == s_tid ->
                           gen = s_gen + 1; tid = me; took = 1; acquired(p)
                        :: else -> took = 0
                        fi
                      };
#endif
                      if :: took -> record() :: else -> skip fi;
                      bytelock = 0;
                      if :: took -> break :: else -> skip fi
#else
                      atomic {
                        if
                        :: gen == s_gen && tid == s_tid && wbit == s_w ->
#if OLD
                           wbit = s_w;
#else
                           gen = s_gen + 1; wbit = s_w | slept;
#endif
                           tid = me; took = 1; acquired(p)
                        :: else -> took = 0
                        fi
                      };
                      if :: took -> record(); break :: else -> skip fi
#endif
                   :: else -> skip
                   fi
                fi
             :: /* LockFor: deadline passed, held by another: give up */
                expired ->
#if !OLD && !FILELOCK
                if
                :: slept -> atomic { /* pass the wake on */
                     if
                     :: sleeping[0] -> sleeping[0] = 0
                     :: sleeping[1] -> sleeping[1] = 0
                     :: sleeping[2] -> sleeping[2] = 0
                     :: else -> skip
                     fi }
                :: else -> skip
                fi;
#endif
                break
             :: /* wait */
#if FILELOCK
                skip                          /* poll again after a back-off */
#else
                if
                :: s_w == 0 ->
                   atomic {
                     if
                     :: gen == s_gen && tid == s_tid && wbit == 0 -> wbit = 1; s_w = 1
                     :: else -> skip
                     fi
                   }
                :: else -> skip
                fi;
                if
                :: s_w == 1 ->
                   atomic {                   /* FUTEX_WAIT on the low half */
                     if
                     :: tid == s_tid && wbit == 1 -> sleeping[p] = 1
                     :: else -> skip
                     fi
                   };
                   if
                   :: !sleeping[p] -> skip    /* woken, or EAGAIN */
                   :: atomic { sleeping[p] && lockfor -> sleeping[p] = 0; expired = 1 }
                   :: atomic { sleeping[p] && (tid != 0 && !stamp_alive[acq_stamp] || lost_wakes > 0) ->
                               sleeping[p] = 0 }      /* the timed liveness re-check */
                   fi;
                   slept = 1
                :: else -> skip
                fi
#endif
             fi
          fi
       od;
       if
       :: took ->
          /* ---- critical section, then Unlock ---- */
#if OLD
          rec_tid = 0;
#endif
          atomic {
            holders--; holding[p] = 0;
            s_w = wbit; tid = 0; wbit = 0; owes_wake[p] = s_w
          };
#if !FILELOCK
          if
          :: s_w ->
             atomic {                          /* FUTEX_WAKE one */
               owes_wake[p] = 0;
               if
               :: sleeping[0] -> sleeping[0] = 0
               :: sleeping[1] -> sleeping[1] = 0
               :: sleeping[2] -> sleeping[2] = 0
               :: else -> skip
               fi
             }
          :: else -> skip
          fi;
#endif
          skip
       :: else -> skip
       fi;
       iter++
    :: else -> break
    od
#if DEATHS > 0
  } unless { kill[p] };
#else
  };
#endif
  if
  :: kill[p] ->
     atomic {
       alive[me] = 0;
       stamp_alive[mystart] = 0;
       if :: holding[p] -> holding[p] = 0; holders--; held_deaths++ :: else -> skip fi;
       sleeping[p] = 0;
       if :: owes_wake[p] -> owes_wake[p] = 0; lost_wakes++ :: else -> skip fi;
       if :: bytelock == p + 1 -> bytelock = 0 :: else -> skip fi;
       kill[p] = 0;
       inc++;
       if :: iter >= rounds -> iter = rounds - 1 :: else -> skip fi
     };
     goto restart
  :: else -> done[p] = 1
  fi
}

init {
  atomic {
    run P(0); run P(1); run P(2)
  }
}
