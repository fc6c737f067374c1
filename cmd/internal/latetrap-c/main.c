/* latetrap-c is a container's process that handles SIGTERM only after a
 * delay, as a program that sets itself up before it installs its signal
 * handlers does. Until then SIGTERM has its default action, which the
 * kernel drops for the init of a pid namespace. A C program, because the
 * Go runtime installs its handlers before main runs.
 *
 *	latetrap-c MS   after MS milliseconds, handle SIGTERM: exit 3 when it
 *	                comes; exit 99 if none has come 20 s later
 */
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig) { got = sig; }

int main(int argc, char **argv) {
	long ms = argc > 1 ? atol(argv[1]) : 0;
	struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&d, &d) != 0) {
	}

	/* Blocked while the handlers go in, so that none can slip in
	 * between the check of got and the wait. */
	sigset_t both, old;
	sigemptyset(&both);
	sigaddset(&both, SIGTERM);
	sigaddset(&both, SIGALRM);
	sigprocmask(SIG_BLOCK, &both, &old);
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm(20);
	while (!got)
		sigsuspend(&old);
	return got == SIGTERM ? 3 : 99;
}
