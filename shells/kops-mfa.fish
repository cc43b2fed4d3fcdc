# kops-mfa shell integration for fish. In ~/.config/fish/config.fish:
#
#   kops-mfa init fish | source
#
# kops-login, kops-logout, kops_mfa_prompt, completion; with
# KOPS_MFA_AUTO_REFRESH=1 or prompt, the kops wrapper and the prompt hook.
# What each does and why it is written so: docs/shells.md.

# The command that runs kops-mfa, one word a line: the node and script of the
# kops-mfa that printed this text (`kops-mfa init` fills them in, so that a
# version manager's PATH cannot lose it), else kops-mfa on PATH; else one
# line and status 127.
function __kops_mfa_command --description 'The kops-mfa to run'
    set -l kops_mfa_node '' # kops-mfa init
    set -l kops_mfa_script '' # kops-mfa init
    if test -n "$kops_mfa_node"; and test -x "$kops_mfa_node"; and test -f "$kops_mfa_script"
        printf '%s\n' $kops_mfa_node $kops_mfa_script
    else if set -l kops_mfa_path (command -s kops-mfa)
        printf '%s\n' $kops_mfa_path[1]
    else
        printf '%s\n' 'kops-mfa is not on PATH (a different Node version?)' >&2
        return 127
    end
end

# Run `kops-mfa <command> --shell fish [options]`; source its output only
# when it exited 0 and starts with the statements header; print it (help,
# version) when it exited 0 without; else return its status, change nothing.
function __kops_mfa_apply --description 'Run kops-mfa and apply its statements'
    # The terminal's settings, to put back if kops-mfa is killed at the prompt.
    set -l kops_mfa_tty (command sh -c 'exec stty -g </dev/tty' 2>/dev/null)
    # No core dump of a process that holds secrets. fish runs a command
    # substitution in its own process, so the soft limit is put back after.
    set -l kops_mfa_core (builtin ulimit -S -c 2>/dev/null)
    builtin ulimit -S -c 0 2>/dev/null
    set -l kops_mfa_cmd (__kops_mfa_command)
    or return 127
    set -l kops_mfa_out (command $kops_mfa_cmd $argv[1] --shell fish $argv[2..])
    set -l kops_mfa_rc $status
    test -n "$kops_mfa_core"; and builtin ulimit -S -c $kops_mfa_core 2>/dev/null
    if test $kops_mfa_rc -gt 128; and test -n "$kops_mfa_tty"
        command sh -c 'exec stty "$1" </dev/tty' sh $kops_mfa_tty 2>/dev/null
    end
    if test $kops_mfa_rc -ne 0
        return $kops_mfa_rc
    end
    if test (count $kops_mfa_out) -gt 0; and test "$kops_mfa_out[1]" = '# kops-mfa statements v1'
        string join \n -- $kops_mfa_out | source
    else if test (count $kops_mfa_out) -gt 0
        printf '%s\n' $kops_mfa_out
    end
    return 0
end

function kops-login --description 'Log in with MFA and set the AWS session in this shell'
    if __kops_mfa_wants_help $argv
        __kops_mfa_run_usage login
        return
    end
    __kops_mfa_apply env $argv
end

# Status 0 when the arguments ask for help (before any --).
function __kops_mfa_wants_help --description 'Whether the arguments ask for help'
    for arg in $argv
        switch $arg
            case --help -h
                return 0
            case --
                return 1
        end
    end
    return 1
end

function __kops_mfa_run_usage --description 'The help of kops-login or kops-logout'
    set -l kops_mfa_cmd (__kops_mfa_command)
    or return 127
    command $kops_mfa_cmd complete usage $argv[1]
end

function kops-logout --description 'Forget the MFA session and clear it from this shell'
    if __kops_mfa_wants_help $argv
        __kops_mfa_run_usage logout
        return
    end
    __kops_mfa_apply logout $argv
end

# Prints the seconds left of this shell's session and the clock; status 1 when
# the shell holds no session of kops-mfa's: the marker set, the exported key
# the one kops-mfa exported, and an expiry of at most 11 digits, at most 36 h
# ahead.
function __kops_mfa_time_left --description 'Seconds left of the session in this shell'
    test -n "$KOPS_MFA_SESSION"; and test -n "$KOPS_MFA_KEY_ID"
    and test "$KOPS_MFA_KEY_ID" = "$AWS_ACCESS_KEY_ID"
    and string match -qr '\A[0-9]{1,11}\z' -- "$KOPS_MFA_EXPIRES"
    or return 1
    set -l now (__kops_mfa_now)
    set -l left (math "$KOPS_MFA_EXPIRES - $now")
    # More than 36 h ahead is no session kops-mfa made.
    test $left -le 129600; or return 1
    echo $left
    echo $now
end

# The clock in epoch seconds. fish has no clock of its own, but its `path`
# builtin (fish 3.5 and later) gives a file's mtime and the seconds since:
# their sum is now, with no process started (`date +%s` cost about 3 ms a
# call here). Older fish runs date.
if builtin -q path
    function __kops_mfa_now --description 'Epoch seconds, from builtins'
        math (path mtime /) + (path mtime --relative /)
    end
else
    function __kops_mfa_now --description 'Epoch seconds'
        date +%s
    end
end

# The reuse window in seconds; status 1 when KOPS_MFA_MIN_REMAINING is not
# whole minutes from 0 to 720 (kops-mfa then says why). Empty or unset is 5.
# Leading zeros are allowed.
function __kops_mfa_reuse_window --description 'The reuse window in seconds'
    set -l minutes 5
    set -q KOPS_MFA_MIN_REMAINING; and test -n "$KOPS_MFA_MIN_REMAINING"
    and set minutes $KOPS_MFA_MIN_REMAINING
    string match -qr '\A[0-9]+\z' -- $minutes; or return 1
    set minutes (string replace -r -- '^0+(?=.)' '' $minutes)
    test (string length -- $minutes) -le 3; and test $minutes -le 720; or return 1
    math "$minutes * 60"
end

# Prints the time left of this shell's session: 42m, 1h05m, expired; with
# " needs code" when the prompt hook could not renew it without a code, or
# " sts unreachable" when STS did not answer (the hook retries each minute).
# Nothing when the shell holds no session of kops-mfa's.
function kops_mfa_prompt --description 'Time left of the kops-mfa session in this shell'
    set -l left (__kops_mfa_time_left); or return 0
    if test $left[1] -le 0
        printf '%s' expired
    else if test $left[1] -lt 3600
        printf '%dm' (math --scale=0 "$left[1] / 60")
    else
        printf '%dh%02dm' (math --scale=0 "$left[1] / 3600") (math --scale=0 "$left[1] % 3600 / 60")
    end
    if set -q __kops_mfa_needs_code; and test "$__kops_mfa_needs_code" = "$KOPS_MFA_KEY_ID"
        printf '%s' ' needs code'
    else if set -q __kops_mfa_unreachable; and test "$__kops_mfa_unreachable" = "$KOPS_MFA_KEY_ID"
        printf '%s' ' sts unreachable'
    end
    return 0
end

# Completion for kops-login and kops-logout: the candidates come from
# `kops-mfa complete <login|logout> <previous word> ''`, one a line, raw;
# fish filters them by what is typed and quotes each as one word.
function __kops_mfa_complete --description 'Completions from kops-mfa'
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l fn login
    test "$words[1]" = kops-logout; and set fn logout
    set -l previous $words[-1]
    set -l keep ''
    if string match -qr -- '^--[^=]+=' $current
        # --profile=de: complete the value, keep the option in front
        set previous (string replace -r -- '=.*' '' $current)
        set keep "$previous="
    end
    set -l kops_mfa_cmd (__kops_mfa_command 2>/dev/null)
    or return 0
    for candidate in (command $kops_mfa_cmd complete $fn "$previous" '' 2>/dev/null </dev/null)
        printf '%s%s\n' $keep $candidate
    end
end

complete -c kops-login -f -a '(__kops_mfa_complete)'
complete -c kops-logout -f -a '(__kops_mfa_complete)'

# Completion for kops-mfa itself: `kops-mfa complete cli <words> ''` prints
# `candidate<TAB>description` lines for the words after kops-mfa (commands,
# their options, profile and shell names), the form fish shows; fish filters
# them by what is typed.
function __kops_mfa_complete_cli --description 'Completions of kops-mfa from kops-mfa'
    set -l words (commandline -opc)
    set -l kops_mfa_cmd (__kops_mfa_command 2>/dev/null)
    or return 0
    command $kops_mfa_cmd complete cli $words[2..] '' 2>/dev/null </dev/null
end
complete -c kops-mfa -f -a '(__kops_mfa_complete_cli)'

if contains -- "$KOPS_MFA_AUTO_REFRESH" 1 prompt
    # The session's expiry is in this shell (KOPS_MFA_EXPIRES): while more
    # than the reuse window is left, kops runs at once and kops-mfa does not
    # start. Otherwise kops-login first: the cache or the MFA session when it
    # can, a code only when the session really ended.
    function kops --description 'kops, after kops-login when the session nears its end'
        set -l left (__kops_mfa_time_left)
        and set -l window (__kops_mfa_reuse_window)
        and test $left[1] -gt $window
        or begin
            # --quiet: no "reusing the cached session" note before a kops run.
            kops-login --quiet
            or return
        end
        command kops $argv
    end
end

if test "$KOPS_MFA_AUTO_REFRESH" = prompt
    # Before each prompt, when the session is within the reuse window of its
    # end (or past it): a renewal without a code (--no-prompt, no terminal, no
    # output), at most once a minute per session. It runs in the background,
    # so the prompt never waits for STS; it renews kops-mfa's cache, and a
    # later prompt takes the session from there (--min-remaining 0: the cache, no STS).
    # Its exit status is all it leaves: 5 (STS unreachable, retried the next
    # minute) and any other failure (a code is needed) are what
    # kops_mfa_prompt says. $status of the user's command is kept.
    function __kops_mfa_hook --on-event fish_prompt --description 'Renew the kops-mfa session without a code'
        set -l saved $status
        if set -q __kops_mfa_job[1]; and test -r $__kops_mfa_job/rc
            set -l rc (string collect < $__kops_mfa_job/rc)
            if test -n "$rc"
                command rm -rf -- $__kops_mfa_job
                set -e __kops_mfa_job
                __kops_mfa_renewed $rc
            end
        end
        set -q __kops_mfa_job[1]; and return $saved
        set -l left (__kops_mfa_time_left)
        and set -l window (__kops_mfa_reuse_window)
        and test $left[1] -le $window
        and begin
            test "$__kops_mfa_tried_key" != "$KOPS_MFA_KEY_ID"
            or test (math "$left[2] - 0$__kops_mfa_tried") -ge 60
        end
        and begin
            set -g __kops_mfa_tried $left[2]
            set -g __kops_mfa_tried_key $KOPS_MFA_KEY_ID
            set -l kops_mfa_cmd (__kops_mfa_command 2>/dev/null)
            and set -l job (command mktemp -d (string join '' -- (set -q TMPDIR; and echo $TMPDIR; or echo /tmp) /kops-mfa-renew.XXXXXX) 2>/dev/null)
            and begin
                set -g __kops_mfa_job $job
                # disown: a process of its own, not a job of this shell (no job messages).
                command sh -c 'ulimit -c 0 2>/dev/null; d=$1; shift; "$@" env --shell fish --quiet --no-prompt; echo "$?" >"$d/rc"' sh $job $kops_mfa_cmd </dev/null >/dev/null 2>&1 &
                disown $last_pid 2>/dev/null
            end
        end
        return $saved
    end

    # What a background renewal's exit status means for this shell.
    function __kops_mfa_renewed --description 'Take the result of a background renewal'
        set -g __kops_mfa_needs_code ''
        set -g __kops_mfa_unreachable ''
        switch $argv[1]
            case 0
                # Renewed: take it from the cache, unless a kops-login replaced the session since.
                if test "$KOPS_MFA_KEY_ID" = "$__kops_mfa_tried_key"
                    __kops_mfa_apply env --quiet --no-prompt --min-remaining 0 </dev/null >/dev/null 2>&1
                    or set -g __kops_mfa_needs_code $__kops_mfa_tried_key
                end
                # The session now in the shell (the renewed one) waits its minute too.
                set -g __kops_mfa_tried_key $KOPS_MFA_KEY_ID
            case 5
                set -g __kops_mfa_unreachable $__kops_mfa_tried_key
            case '*'
                set -g __kops_mfa_needs_code $__kops_mfa_tried_key
        end
    end
end
