/* The region LIFECYCLE protocol of region/liveness.h, as the code does it
 * (region/attach.cc Settle, create.cc, join.cc, detach.cc, remove.cc,
 * trust_checks.cc SameFileAt/UnlinkIfSameAt), for SPIN (Debian: spin).
 * Run through ci/model-check; switches (spin -D...):
 *   OLD=1     round 1's unlink BY NAME after a check: the destroy path and
 *             the replacement of a stale stub check "still my file?", give
 *             up the exclusive lock, then unlink the name (issue 11).
 *   OLD=3     only the destroy path of OLD=1 (the last detach of a region
 *             marked for removal: check, close, unlink by name).
 *   OLD=2     round 1's joiner: a file with no complete header is "not
 *             initialised yet": retry and give up (no takeover of an
 *             abandoned creation): the wedged name (issue 11).
 *   STUB=1    system memory behind a one-header stub (SysV, POSIX shm):
 *             a destroy removes the memory and leaves the stub's complete
 *             header, so a joiner finds "memory gone" (0: the file backend,
 *             where a destroy clears the magic in the file).
 *   ROUNDS=n  attach/detach rounds of processes 0 and 1; process 2 makes one
 *             non-force remove.
 *   MIXED=1   instead, each of the 3 processes makes ROUNDS rounds, each
 *             round either an attach/detach or a non-force remove.
 *   DEATHS=n  how many processes may die, each at any step (a dead process
 *             stays dead: the kernel drops its locks, its files stay).
 *   FIX=1     the fresh creator checks, holding exclusive, that the name
 *             still names its file before initialising it (region/attach.cc
 *             does, since this model found the race; FIX=0 is the code
 *             before: ci/model-check --old shows its counterexample).
 *   PNS=1     two pid namespaces: processes 0 and 2 in one, 1 and 3 (the
 *             final attach) in the other. A pid of the other namespace names
 *             another process or none: the adversary's choice here is the
 *             dangerous one, "dead" (region/liveness.h, "Pid namespaces").
 *   NSFIX=0   with PNS=1: the code before review 10 -- no namespace in the
 *             header, every joiner judges the mutex holder by pid.
 *   FAILS=n   how many os calls may fail (an error, not a death), each in
 *             a creation step: the fresh creator's exclusive try or its
 *             size/name checks (then Attacher::DiscardEmptyCreation), and
 *             each initialiser step from sizing to Downgrade (then Once's
 *             clean-up: unlock, clear the magic, remove the memory,
 *             UnlinkIfSameAt); the process goes on with its next round.
 *   FAILFIX=0 with FAILS: the clean-up before 2026-12-01, which unlinked a
 *             failed initialiser's file with its magic still written.
 *   MAXF=n    file ids 1..n-1 (failures make more files: 8 with MIXED).
 *   PROP=n    keep only property n's assertion (0: all).
 *
 * WHAT IS MODELLED. One region name over N = 3 processes (+ a final one).
 *   - the directory entry: name = the id of the file linked under the name
 *     (0: none); files are created O_EXCL (only when the name is free) and
 *     unlinked by name (whatever the name names at that instant);
 *   - each file's liveness byte with Linux OFD semantics: shared set sh[f],
 *     exclusive holder ex[f]; Try (no wait; a refused conversion keeps the
 *     held lock), Wait (blocking: the code's bounded wait, its deadline
 *     abstracted: see below), release; the kernel drops a process's locks
 *     when it closes its file or dies;
 *   - each file's header: EMPTY (0 bytes), PART (sized, magic 0: being
 *     initialised, abandoned, or destroyed), DONE (magic written); with
 *     STUB, memgone[f] (the memory the stub names is gone); the
 *     remove-on-detach mark, the panic flag, the attachment slots, and the
 *     region mutex (holder; a dead holder's next locker gets "owner died");
 *   - the steps of Attach (OpenFile, Settle: the fresh creator's exclusive
 *     try, the joiner's shared wait, Join, release, exclusive try, the
 *     lost-name check, the replacement in place, the may-not-create removal
 *     of an abandoned file, memory gone with live stub attachers -> kBusy),
 *     Initialise (mutex, slots, then the magic), Downgrade, JoinLocked
 *     (panic -> kRunRecovery), Detach (drop the slot, last and marked ->
 *     exclusive try -> clear the magic, remove the memory, UnlinkIfSameAt
 *     while holding exclusive), and Remove (attach without create, mark,
 *     unlock, detach; kNotFound when the name is gone or was abandoned).
 * Granularity: each step is ONE access to shared state (the directory, a
 * lock, the header) plus the local computation up to the next one (the
 * standard reduction). Reads of a header made while holding the shared or
 * exclusive lock are one step with the grant: the header only changes under
 * the exclusive lock, which nobody else can hold meanwhile. The open of
 * OpenFile (open, else O_EXCL create, else open again) is one step: the
 * interleavings it drops only lead to EEXIST/ENOENT retries.
 * UnlinkIfSameAt is TWO steps (SameFileAt, then unlink by name), so the
 * model checks that nothing can change the name between them.
 * A death is possible before every step that writes shared state and
 * during every blocking wait (which is "at any step": a read changes only
 * the dead process's locals).
 *
 * WHAT IS ABSTRACTED AWAY, and why. Failing OS calls outside creation
 * (FAILS above; a joiner's failure before it initialises only closes its
 * file, like a death that goes on; the error sweep tests cover each call);
 * the attach deadline (waits block:
 * a wait that can never end is then an invalid end state, which is the
 * "no deadlock" property; a timeout would only add "gave up" outcomes);
 * Grow (its own protocol under the region mutex); the memory's system
 * name and its leak-freedom (issue 11 item 3, the crash-point tests); the
 * panic recovery; remove --force (it unlinks by name by design: an admin's
 * tool for regions nothing else can remove); fork; ipcrm of live memory;
 * Win32 (its byte-range locks cannot convert in place: a refused
 * conversion drops the held lock; the code releases shared before every
 * exclusive try in Settle, so only Detach's try differs -- and, with
 * FAILS, a failed Downgrade: Win32 gave up exclusive before it, so the code
 * leaves the published region (and drops its slot) where Linux, still
 * exclusive, discards it; the model's Downgrade failure is Linux's).
 * The clean-up calls after a failure never fail here (the code ignores
 * their errors: the next attach replaces what they leave, as after a death).
 *
 * PROPERTIES (ghost state; a violated assertion is a counterexample):
 *   onename   every live attached process's file is the file the name
 *             names (so never two live regions under one name)  [monitor]
 *   complete  an attach completes only on a complete header (memory
 *             present) of a file that is linked under the name
 *   wedge     a dead creator never blocks the name: when every other
 *             process has finished or died, a fresh attach (create-or-
 *             join) succeeds (or reports kRunRecovery: a process died
 *             holding the region mutex, which is recoverable)
 *   remove    a destroy (clearing the magic, removing the memory,
 *             unlinking the name) never hits a region someone is attached to
 *   stuck     no deadlock: no reachable state where processes wait for
 *             ever (pan's invalid end states)
 *   owner     a region mutex is taken over ("owner died") only from a dead
 *             holder (with PNS=1: never from a live one of another pid
 *             namespace)
 *   clean     with failures and no deaths, nothing half made is left: the
 *             final attach finds the name free or a complete region
 *
 * FINDINGS (2026-11-30, on the code of 625ebf5). With FIX=1 every property
 * is verified in every configuration of ci/model-check. The code as it was
 * (FIX=0; fixed in region/attach.cc the same day, with the test
 * NewFileRaceTest in tests/region_create_race_test.cc) had a race: P1 creates the file O_EXCL (0 bytes); before P1's
 * exclusive try, a non-force remove P2 opens it, holds shared, finds no
 * header (abandoned), releases, gets exclusive, finds the name still its
 * file, and, as a joiner that may not create, unlinks it (kNotFound: "was
 * abandoned by a dead creator"); P1 then gets exclusive, sees 0 bytes and
 * initialises the UNLINKED file, and its Attach succeeds; the next attach
 * creates a second region under the name. The fix modelled: the fresh
 * creator, holding exclusive, checks SameFileAt before initialising, and
 * starts again from the name if the file lost it.
 * Reproduced with the tool (any join-only attach will do: osport lock,
 * grow, panic, recover, or region::Remove non-force from the library; the
 * tool's remove is spared only by its own "too short for a region header"
 * probe):
 *   strace -f -e inject=fcntl:delay_enter=3000000:when=1 \
 *     osport create a --size=64KiB --home=H &   # pauses before its F_OFD_SETLK
 *   sleep 1.5; osport lock a --hold=10ms --home=H
 * lock: "not_found: region a does not exist (H/a was abandoned by a dead
 * creator and is now removed)"; then create: "created region a", exit 0,
 * and H/a does not exist: the region it created and attached is unlinked.
 * OLD=1/3 (unlink by name after the lock is given up) break onename and
 * remove; OLD=2 breaks wedge (a creator dead after its O_EXCL create).
 * PNS=1 (2026-12-01): with NSFIX=0 (the code before that day), the
 * shortest counterexample: P1 (namespace 1) creates the region and holds its
 * mutex while initialising; P2 (namespace 0) joins, reads P1's pid as a dead
 * process and takes the lock over from a live holder (review 10 saw it
 * between two containers). With the namespace in the header (join.cc,
 * pid_namespace.cc) every property holds in both PNS configurations.
 * FAILS=1 (2026-12-01, review L8: failures were not modelled): with
 * FAILFIX=0, the shortest counterexample: P1 creates the region, writes the
 * magic, and its Downgrade fails; P0 opened the file meanwhile and waits
 * for shared; P1's clean-up unlinks the file (magic still written) and
 * closes; P0 gets shared, finds a complete header and ATTACHES to a file
 * no name leads to, while P1's next round creates another region under
 * the name. The fix modelled (region/attach.cc Once): the magic is cleared
 * before the unlink, as a destroy does. Test: tests/region_create_race_test.cc
 * AJoinerWaitingOnAFailedInitialiserNeverJoinsItsRemovedFile.
 * The search also shows that UnlinkIfSameAt's two steps (SameFileAt, then
 * unlink by name) are safe while the exclusive lock is held: nothing can
 * change the name between them (only the exclusive holder of the named
 * file unlinks it; O_EXCL creates only a missing name).
 */
#ifndef OLD
#define OLD 0
#endif
#define OLD_REPLACE (OLD == 1)
#define OLD_DESTROY (OLD == 1 || OLD == 3)
#ifndef STUB
#define STUB 0
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif
#ifndef DEATHS
#define DEATHS 1
#endif
#ifndef FIX
#define FIX 0
#endif
#ifndef PROP
#define PROP 0
#endif
#ifndef PNS
#define PNS 0
#endif
#ifndef NSFIX
#define NSFIX 1
#endif
#ifndef MIXED
#define MIXED 0
#endif
#ifndef FAILS
#define FAILS 0
#endif
#ifndef FAILFIX
#define FAILFIX 1
#endif
#ifndef RETRIES
#define RETRIES 2   /* the retry policy's attempts (Run: attempts + 1 tries) */
#endif

#define N 4         /* processes 0..2, and 3: the final fresh attach */
#ifndef MAXF
#define MAXF 6      /* file ids 1..MAXF-1 (failures make more: -DMAXF=8) */
#endif

#define H_EMPTY 0
#define H_PART 1
#define H_DONE 2

#define F_VALID 0
#define F_ABANDONED 1
#define F_MEMGONE 2
#define F_OTHERNS 3

#define R_NONE 0
#define R_ATTACHED 1
#define R_NOTFOUND 2
#define R_NOTREADY 3
#define R_BUSY 4
#define R_RECOVERY 5
#define R_FAILED 6

#define ATTACHER 0
#define REMOVER 1
#define FINAL 2

byte name;              /* the directory entry */
byte nfiles;            /* files made so far */
byte hdr[MAXF];
bit  memgone[MAXF];
bit  marked[MAXF];
bit  panic[MAXF];
byte slots[MAXF];       /* attachment slots: bit per process */
byte mtx[MAXF];         /* region mutex holder + 1 */
byte sh[MAXF];          /* shared liveness holders: bit per process */
byte ex[MAXF];          /* exclusive liveness holder + 1 */
byte livemask = 15;     /* bit per live process */
byte att[N];            /* ghost: the file a process is attached to */
byte deaths_left = DEATHS;
byte fails_left = FAILS;
bit  hns[MAXF];         /* the header's pid namespace (PNS) */
bit  taken_live;        /* ghost: a live holder's mutex was taken over */
bit onename_violated;   /* only named in the monitor's assertion */
bit final_found_half;   /* ghost: the final attach opened a half-made file */

#define B (1 << p)
#define ALIVE(q) ((livemask >> (q)) & 1)
/* Process q's pid namespace, and how process p judges q's liveness by pid:
 * correctly in its own namespace, "dead" across (the adversary). */
#define NSOF(q) (PNS && ((q) == 1 || (q) == 3))
#define JUDGED_DEAD(q) (!ALIVE(q) || NSOF(q) != NSOF(p))

#if PROP == 0 || PROP == 1
#define CHECK_ONENAME(e) assert(e)
#else
#define CHECK_ONENAME(e) skip
#endif
#if PROP == 0 || PROP == 2
#define CHECK_COMPLETE(e) assert(e)
#else
#define CHECK_COMPLETE(e) skip
#endif
#if PROP == 0 || PROP == 3
#define CHECK_WEDGE(e) assert(e)
#else
#define CHECK_WEDGE(e) skip
#endif
#if PROP == 0 || PROP == 4
#define CHECK_REMOVE(e) assert(e)
#else
#define CHECK_REMOVE(e) skip
#endif
#if PROP == 0 || PROP == 5
#define CHECK_OWNER(e) taken_live = !(e); assert(!taken_live)
#else
#define CHECK_OWNER(e) skip
#endif
#if (PROP == 0 || PROP == 6) && DEATHS == 0
#define CHECK_CLEAN(e) assert(e)
#else
#define CHECK_CLEAN(e) skip
#endif

/* Nobody else alive is attached to file x. */
#define NONE_ATTACHED(x) ((x) == 0 || \
  ((att[0] != (x) || !ALIVE(0) || p == 0) && (att[1] != (x) || !ALIVE(1) || p == 1) && \
   (att[2] != (x) || !ALIVE(2) || p == 2) && (att[3] != (x) || !ALIVE(3) || p == 3)))

/* The kernel's exclusive try (Linux OFD: a refused conversion keeps what is
 * held; granted converts a held shared lock). */
#define TRYEX \
  if \
  :: (sh[f] & ~B) == 0 && (ex[f] == 0 || ex[f] == p + 1) -> ex[f] = p + 1; sh[f] = sh[f] & ~B; got = 1 \
  :: else -> got = 0 \
  fi

/* Closing the file: the kernel drops its liveness locks. */
#define CLOSE \
  sh[f] = sh[f] & ~B; \
  if :: ex[f] == p + 1 -> ex[f] = 0 :: else -> skip fi; \
  f = 0

/* Join's look at the file and its header (holding shared or exclusive). */
#if PNS && NSFIX
/* ... and, before the mutex, its pid namespace (join.cc CheckPidNamespace):
 * another one's region is adopted only by a process alone with it. */
#define CLASSIFY \
  if \
  :: hdr[f] != H_DONE -> found = F_ABANDONED; printf("P%d: file %d: no complete header (abandoned)\n", p, f) \
  :: hdr[f] == H_DONE && memgone[f] -> found = F_MEMGONE; printf("P%d: file %d: memory gone\n", p, f) \
  :: hdr[f] == H_DONE && !memgone[f] && hns[f] == NSOF(p) -> found = F_VALID; printf("P%d: file %d: complete\n", p, f) \
  :: hdr[f] == H_DONE && !memgone[f] && hns[f] != NSOF(p) && ex[f] == p + 1 -> \
     hns[f] = NSOF(p); slots[f] = 0; found = F_VALID; \
     printf("P%d: file %d: complete, another pid namespace's, alone: adopts it\n", p, f) \
  :: hdr[f] == H_DONE && !memgone[f] && hns[f] != NSOF(p) && ex[f] != p + 1 -> found = F_OTHERNS; \
     printf("P%d: file %d: complete, another pid namespace's\n", p, f) \
  fi
#else
#define CLASSIFY \
  if \
  :: hdr[f] != H_DONE -> found = F_ABANDONED; printf("P%d: file %d: no complete header (abandoned)\n", p, f) \
  :: hdr[f] == H_DONE && memgone[f] -> found = F_MEMGONE; printf("P%d: file %d: memory gone\n", p, f) \
  :: else -> found = F_VALID; printf("P%d: file %d: complete\n", p, f) \
  fi
#endif

/* A death: the kernel drops the process's locks (and a mutex it holds is
 * left to the next locker as "owner died"); its files stay. */
#if DEATHS > 0
#define DIE :: atomic { p != 3 && deaths_left > 0 -> deaths_left--; livemask = livemask & ~B; att[p] = 0; \
                        printf("P%d: DIES (the kernel drops its locks)\n", p); \
                        if :: f != 0 -> CLOSE :: else -> skip fi; \
                        found = 0; tries = 0; got = 0; fresh = 0; initing = 0; destroy = 0; same = 0; \
                        out = 0; round = 0; create = 0; \
                        goto gone }
#else
#define DIE
#endif

/* A failure: an os call of the step returns an error (FAILS of them in all,
 * never in the final attach); the process cleans up as the code does and goes
 * on with its next round. */
#if FAILS > 0
#define FAILTO(L) :: atomic { p != 3 && fails_left > 0 -> fails_left--; \
                              printf("P%d: FAILS (an os call returns an error)\n", p); goto L }
#else
#define FAILTO(L)
#endif

proctype P(byte p; byte role) {
  byte f, found, tries, out, round;
  bit fresh, create, initing, got, destroy, same;

next_round:
#if MIXED
  if                                 /* this round: attach/detach or remove */
  :: role != FINAL -> if :: create = 1 :: create = 0 fi
  :: else -> create = 1
  fi;
#else
  create = (role != REMOVER);
#endif
  tries = 0;
  out = R_NONE;

  /* ---- Attach: Run's tries; OpenFile ---- */
attempt:
  if
  :: atomic {
       if
       :: name != 0 -> f = name; fresh = 0; printf("P%d: opens file %d (the name's)\n", p, f);
          final_found_half = final_found_half || (p == 3 && (hdr[f] != H_DONE || memgone[f]))
       :: name == 0 && create -> nfiles++; f = nfiles; name = f; hdr[f] = H_EMPTY; memgone[f] = 0; fresh = 1;
          printf("P%d: creates file %d O_EXCL under the name\n", p, f)
       :: name == 0 && !create -> out = R_NOTFOUND; printf("P%d: no file: kNotFound\n", p); goto attach_done
       fi
     }
  DIE
  fi;

  /* ---- Settle ---- */
  if
  :: fresh ->
     if
     :: atomic {
          fresh = 0;
          TRYEX;
          if
#if FIX
          :: got && hdr[f] == H_EMPTY && name != f -> got = 0;
             printf("P%d: exclusive on its new file %d, which lost its name: retries\n", p, f); goto retry_close
          :: got && hdr[f] == H_EMPTY && name == f -> got = 0; initing = 1;
             printf("P%d: exclusive on its new empty file %d: initialises it\n", p, f); goto fresh_granted
#else
          :: got && hdr[f] == H_EMPTY -> got = 0; initing = 1;
             printf("P%d: exclusive on its new empty file %d: initialises it\n", p, f); goto fresh_granted
#endif
          :: else -> got = 0; printf("P%d: new file %d taken by a joiner: joins\n", p, f)
          fi
        }
     DIE
     FAILTO(discard_new)                        /* the exclusive try errs */
     fi
  :: else -> skip
  fi;

settle_loop:
  /* wait for shared (converts a held exclusive) and look at the header */
  if
  :: atomic {
       (ex[f] == 0 || ex[f] == p + 1) ->
       ex[f] = 0; sh[f] = sh[f] | B; printf("P%d: shared on file %d\n", p, f);
       CLASSIFY;
       if :: found == F_VALID -> goto join_lock :: else -> skip fi
     }
  DIE
  fi;
#if OLD == 2
  /* round 1: "not initialised yet": close, retry, give up after the tries */
  if :: found == F_ABANDONED -> goto retry_close :: else -> skip fi;
#endif
  /* abandoned or memory gone: release shared, try exclusive */
  if
  :: atomic { sh[f] = sh[f] & ~B; printf("P%d: releases shared on file %d\n", p, f) }
  DIE
  fi;
  if
  :: atomic { TRYEX; printf("P%d: tries exclusive on file %d: %d (1 granted)\n", p, f, got) }
  DIE
  fi;
  if
  :: !got ->
     if
     :: found == F_MEMGONE ->
        if
        :: name != f -> found = 0; printf("P%d: file %d lost its name: retries\n", p, f); goto retry_close
        :: name == f && (slots[f] & livemask & ~B) != 0 -> /* live stub attachers */
           found = 0; out = R_BUSY; printf("P%d: memory gone under live attachers: kBusy\n", p); goto close_out
        :: else -> skip
        fi
     :: else -> skip
     fi;
     found = 0;
     goto settle_loop                                      /* back off, wait again */
  :: else -> got = 0
  fi;
  /* alone: still its name? then look again */
  atomic {
    if
    :: name != f -> found = 0; printf("P%d: file %d lost its name: retries\n", p, f); goto retry_close
    :: else -> printf("P%d: file %d still has the name\n", p, f); CLASSIFY
    fi
  };
  if
  :: found == F_VALID -> goto join_lock
  :: else -> found = 0
  fi;
  /* ---- Replace (holding exclusive) ---- */
  initing = 1;
  printf("P%d: replaces abandoned file %d\n", p, f);
#if STUB
  if
  :: atomic { memgone[f] = 1; printf("P%d: removes file %d's stale memory\n", p, f) }
  DIE
  fi;
#endif
  if
  :: !create ->
#if OLD_REPLACE
     same = (name == f);                                   /* "still my file?" */
     printf("P%d: file %d still the name's: %d\n", p, f, same);
     if
     :: atomic { printf("P%d: closes file %d (lock dropped)\n", p, f); CLOSE }
     DIE
     fi;
     if
     :: atomic { same -> printf("P%d: unlinks the name BY NAME (it names file %d)\n", p, name);
                 CHECK_REMOVE(NONE_ATTACHED(name)); name = 0; same = 0; initing = 0; out = R_NOTFOUND; goto attach_done }
     :: atomic { !same -> initing = 0; out = R_NOTFOUND; goto attach_done }
     DIE
     fi
#else
     goto unlink_not_found
#endif
  :: else -> skip
  fi;
#if OLD_REPLACE
  /* round 1: a stale region is unlinked by name after the check, then made
   * again from the name (O_EXCL) */
  same = (name == f);
  printf("P%d: file %d still the name's: %d\n", p, f, same);
  if
  :: atomic { printf("P%d: closes file %d (lock dropped)\n", p, f); CLOSE; initing = 0 }
  DIE
  fi;
  if
  :: atomic { same -> printf("P%d: unlinks the name BY NAME (it names file %d), makes it again\n", p, name);
              CHECK_REMOVE(NONE_ATTACHED(name)); name = 0; same = 0; goto retry_counted }
  :: atomic { !same -> goto retry_counted }
  DIE
  fi;
#endif
  if
  :: atomic { hdr[f] = H_EMPTY; printf("P%d: truncates file %d\n", p, f) }
  DIE
  fi;

  /* ---- CreateAndPublish (holding exclusive) ---- */
  goto create_it;
fresh_granted:
  /* exclusive on its new empty file, still named; the size and name checks
   * can still fail before it initialises (attach.cc Settle) */
  if
  :: goto create_it
  FAILTO(discard_new)
  fi;
create_it:
  if
  :: atomic {                  /* memory/file sized, mutex made and held, our slot */
       hdr[f] = H_PART; memgone[f] = 0; mtx[f] = p + 1; slots[f] = B; hns[f] = NSOF(p);
       marked[f] = 0; panic[f] = 0; printf("P%d: sizes file %d, writes its header (magic 0)\n", p, f)
     }
  DIE
  FAILTO(init_fail)
  fi;
  if
  :: atomic { hdr[f] = H_DONE; printf("P%d: writes file %d's magic\n", p, f) }
  DIE
  FAILTO(init_fail)
  fi;
  if
  :: atomic {                                              /* Downgrade */
       ex[f] = 0; sh[f] = sh[f] | B; initing = 0;
       goto attached
     }
  DIE
  FAILTO(init_fail)                 /* Linux: a refused conversion keeps exclusive */
  fi;

  /* ---- Join: the region mutex (LockBounded), JoinLocked ---- */
join_lock:
  if
  :: atomic {
       (mtx[f] == 0 || JUDGED_DEAD(mtx[f] - 1)) ->
       found = 0;
       if
       :: mtx[f] != 0 -> CHECK_OWNER(!ALIVE(mtx[f] - 1));
          panic[f] = 1; mtx[f] = 0; out = R_RECOVERY;                                 /* owner died */
          printf("P%d: file %d's mutex holder died: panic, kRunRecovery\n", p, f); goto close_out
       :: else -> mtx[f] = p + 1
       fi
     }
  DIE
  fi;
  if
  :: atomic {
       if
       :: panic[f] -> mtx[f] = 0; out = R_RECOVERY; printf("P%d: file %d panicked: kRunRecovery\n", p, f); goto close_out
       :: else -> slots[f] = slots[f] | B                 /* AddAttachment */
       fi;
       if
       :: ex[f] != p + 1 -> goto attached
       :: else -> skip
       fi
     }
  DIE
  fi;
  if
  :: atomic { ex[f] = 0; sh[f] = sh[f] | B; initing = 0; goto attached }  /* Downgrade */
  DIE
  fi;

#if !OLD_REPLACE
unlink_not_found:
  /* may not create: remove the abandoned file, holding exclusive */
  if
  :: atomic { same = (name == f); printf("P%d: SameFileAt(file %d): %d\n", p, f, same) }
  DIE
  fi;
  if
  :: atomic {                                              /* UnlinkAt by name */
       if
       :: same -> printf("P%d: unlinks the name (abandoned file %d), kNotFound\n", p, name); CHECK_REMOVE(NONE_ATTACHED(name)); name = 0
       :: else -> skip
       fi;
       same = 0; initing = 0; out = R_NOTFOUND; goto close_out
     }
  DIE
  fi;
#endif

#if FAILS > 0
discard_new:
  /* Attacher::DiscardEmptyCreation: its O_EXCL file, failed before it was
   * initialised: removed only alone with it (exclusive), still empty, and
   * only if the name still names it; else left for the next attach */
  initing = 0; fresh = 0;
  if
  :: atomic { TRYEX; printf("P%d: discard: exclusive on its new file %d: %d\n", p, f, got) }
  DIE
  fi;
  if
  :: got && hdr[f] == H_EMPTY ->
     got = 0;
     if
     :: atomic { same = (name == f); printf("P%d: SameFileAt(file %d): %d\n", p, f, same) }
     DIE
     fi;
     if
     :: atomic {
          if
          :: same -> printf("P%d: unlinks its empty file %d\n", p, name); CHECK_REMOVE(NONE_ATTACHED(name)); name = 0
          :: else -> skip
          fi;
          same = 0
        }
     DIE
     fi
  :: else -> got = 0
  fi;
  out = R_FAILED;
  goto close_out;

init_fail:
  /* Attacher::Once, an initialiser's error: still exclusive, it unlocks the
   * mutex, removes the memory it made and the file (UnlinkIfSameAt) */
  assert(ex[f] == p + 1);
  if
  :: atomic { if :: mtx[f] == p + 1 -> mtx[f] = 0 :: else -> skip fi;
#if FAILFIX
              if :: !STUB && hdr[f] == H_DONE -> hdr[f] = H_PART :: else -> skip fi;   /* magic 0 */
              printf("P%d: initialiser failed: unlocks file %d's mutex, clears its magic\n", p, f) }
#else
              printf("P%d: initialiser failed: unlocks file %d's mutex\n", p, f) }
#endif
  DIE
  fi;
#if STUB
  if
  :: atomic { CHECK_REMOVE(NONE_ATTACHED(f)); memgone[f] = 1; printf("P%d: removes file %d's memory\n", p, f) }
  DIE
  fi;
#endif
  if
  :: atomic { same = (name == f); printf("P%d: SameFileAt(file %d): %d\n", p, f, same) }
  DIE
  fi;
  if
  :: atomic {
       if
       :: same -> printf("P%d: unlinks the name (its failed file %d)\n", p, name); CHECK_REMOVE(NONE_ATTACHED(name)); name = 0
       :: else -> skip
       fi;
       same = 0; initing = 0; out = R_FAILED; goto close_out
     }
  DIE
  fi;
#endif

retry_close:
  if
  :: atomic { printf("P%d: closes file %d, tries again\n", p, f); CLOSE; initing = 0 }
  DIE
  fi;
retry_counted:
  atomic {
    tries++;
    if
    :: tries > RETRIES -> tries = 0; out = R_NOTREADY; printf("P%d: gives up: kNotReady\n", p); goto attach_done
    :: else -> goto attempt
    fi
  }

close_out:
  if
  :: atomic { CLOSE; initing = 0; tries = 0; goto attach_done }
  DIE
  fi;

attached:
  atomic {
    CHECK_COMPLETE(hdr[f] == H_DONE && !memgone[f] && name == f);
    att[p] = f; out = R_ATTACHED; tries = 0;
    printf("P%d: ATTACHED to file %d (the name names file %d)\n", p, f, name)
  }

attach_done:
  if
  :: role == FINAL -> goto final_check
  :: out != R_ATTACHED -> goto round_done
  :: else -> skip
  fi;
  /* attached, holding the region mutex (Attach returns it held) */
  if
  :: !create ->
#if OLD == 0
     /* Remove asks the kernel before marking (remove.cc, 2026-11-30): granted,
      * it holds exclusive and its detach destroys; refused, the last of the
      * others does. (A failed try marks nothing: errors are not modelled.) */
     if
     :: atomic { TRYEX; printf("P%d: remove: exclusive before marking file %d: %d\n", p, f, got); got = 0 }
     DIE
     fi;
#endif
     if
     :: atomic { marked[f] = 1; printf("P%d: marks file %d for removal\n", p, f) }
     DIE
     fi
  :: else -> skip
  fi;
  if
  :: atomic { mtx[f] = 0 }                                 /* Unlock */
  DIE
  fi;

  /* ---- Detach ---- */
  if
  :: atomic {
       (mtx[f] == 0 || JUDGED_DEAD(mtx[f] - 1)) ->
       att[p] = 0;
       if :: mtx[f] != 0 -> CHECK_OWNER(!ALIVE(mtx[f] - 1)); panic[f] = 1 :: else -> skip fi; /* owner died: finish */
       mtx[f] = p + 1
     }
  DIE
  fi;
  if
  :: atomic {      /* drop our slot, ReconcileDead; marked and last: exclusive? */
       slots[f] = slots[f] & livemask & ~B;
       if
       :: marked[f] && slots[f] == 0 -> TRYEX; destroy = got; got = 0;
          printf("P%d: detach: last of marked file %d; exclusive: %d (1: destroys)\n", p, f, destroy)
       :: else -> skip
       fi
     }
  DIE
  fi;
  if
  :: destroy ->
     if
     :: atomic { CHECK_REMOVE(NONE_ATTACHED(f)); hdr[f] = (STUB -> H_DONE : H_PART);   /* magic 0 */
                 printf("P%d: clears file %d's magic\n", p, f) }
     DIE
     fi
  :: else -> skip
  fi;
  if
  :: atomic { mtx[f] = 0 }                                 /* Unlock */
  DIE
  fi;
  if
  :: destroy ->
#if STUB
     if
     :: atomic { CHECK_REMOVE(NONE_ATTACHED(f)); memgone[f] = 1; printf("P%d: removes file %d's memory\n", p, f) }
     DIE
     fi;
#endif
     if
     :: atomic { same = (name == f); printf("P%d: SameFileAt(file %d): %d\n", p, f, same) }
     DIE
     fi;
#if OLD_DESTROY
     if
     :: atomic { printf("P%d: closes file %d (lock dropped)\n", p, f); CLOSE }  /* round 1 */
     DIE
     fi;
#endif
     if
     :: atomic {                                           /* UnlinkAt by name */
          if
          :: same -> printf("P%d: unlinks the name (it names file %d)\n", p, name); CHECK_REMOVE(NONE_ATTACHED(name)); name = 0
          :: else -> skip
          fi;
          same = 0; destroy = 0
        }
     DIE
     fi
  :: else -> skip
  fi;
  if
  :: atomic { printf("P%d: detached, closes file %d\n", p, f); CLOSE }
  DIE
  fi;

round_done:
  atomic {
    out = R_NONE;
    round++;
    if
    :: role != FINAL && (role == ATTACHER || MIXED) && round < ROUNDS -> goto next_round
    :: else -> round = 0; goto finished
    fi
  }

final_check:
  printf("P3 (a fresh attach, alone): outcome %d (1 attached, 3 kNotReady, 4 kBusy, 5 kRunRecovery)\n", out);
  CHECK_WEDGE(out == R_ATTACHED || out == R_RECOVERY);
  /* clean: with failures and no deaths, nothing half made is left: the
   * final attach found the name free or a complete region */
  CHECK_CLEAN(!final_found_half);
  goto finished;

gone:
  skip;
finished:
  skip
}

/* onename: every live attached process's file is the one the name names. */
active proctype onename() {
end:
  atomic {
    !((att[0] == 0 || name == att[0]) && (att[1] == 0 || name == att[1]) &&
      (att[2] == 0 || name == att[2]) && (att[3] == 0 || name == att[3])) ->
    CHECK_ONENAME(onename_violated)
  }
}

init {
  atomic {
    run P(0, ATTACHER);
    run P(1, ATTACHER);
    run P(2, REMOVER)
  };
  /* quiescent: everyone else finished or died; a fresh attach must work */
  _nr_pr == 2 -> run P(3, FINAL)
}
