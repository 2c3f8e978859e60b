/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PID 1 of a new pid namespace: reap every process that ends up as our child
 * (orphans are reparented to PID 1), forward the usual job-control and
 * termination signals to the command, and exit with the command's status.
 *
 * The kernel drops signals sent to a namespace's init from outside unless init
 * has a handler for them, so the forwarded signals get a (never run) handler and
 * stay blocked; sigwaitinfo() takes them synchronously.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn-internal.h"

const int spawn_forward_signals[7] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

void spawn_signal_set(sigset_t *set)
{
        sigemptyset(set);
        for (size_t i = 0; i < sizeof spawn_forward_signals / sizeof spawn_forward_signals[0]; i++)
                sigaddset(set, spawn_forward_signals[i]);
        sigaddset(set, SIGCHLD);
}

int spawn_exit_status(int wstatus)
{
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return USERNS_STATUS_ERROR;
}

static void no_op(int sig)
{
        (void)sig;
}

_Noreturn void pid1_run(pid_t child)
{
        sigset_t set;
        spawn_signal_set(&set);
        struct sigaction sa = { .sa_handler = no_op };
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof spawn_forward_signals / sizeof spawn_forward_signals[0]; i++)
                sigaction(spawn_forward_signals[i], &sa, NULL);
        sigaction(SIGCHLD, &sa, NULL);

        for (;;) {
                /* Reap first: the command may have exited before we got here. */
                int st;
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                        if (w == child)
                                _exit(spawn_exit_status(st));
                if (w < 0 && errno == ECHILD)
                        _exit(USERNS_STATUS_ERROR);   /* cannot happen: the command is our child */
                siginfo_t si;
                int sig = sigwaitinfo(&set, &si);
                if (sig < 0 || sig == SIGCHLD)
                        continue;
                /*
                 * A signal the terminal sent to the foreground process group (si_code
                 * SI_KERNEL) already reached the command; anything else is forwarded.
                 */
                if (si.si_code != SI_KERNEL)
                        kill(child, sig);
        }
}
