# kops-mfa shell integration for zsh. In ~/.zshrc, after compinit:
#
#   eval "$(kops-mfa init zsh)"
#
# kops-login, kops-logout, kops_mfa_prompt, completion; with
# KOPS_MFA_AUTO_REFRESH=1 or prompt, the kops wrapper and the prompt hook.
# What each does and why it is written so: docs/shells.md.

# Run kops-mfa: the node and script of the kops-mfa that printed this text
# (`kops-mfa init` fills them in, so that a version manager's PATH cannot
# lose it), else kops-mfa on PATH; else one line and status 127.
function _kops_mfa_run {
  emulate -L zsh
  local _kops_mfa_node='' _kops_mfa_script='' # kops-mfa init
  if [[ -n "${_kops_mfa_node}" && -x "${_kops_mfa_node}" && -f "${_kops_mfa_script}" ]]; then
    "${_kops_mfa_node}" "${_kops_mfa_script}" "$@"
  elif (( ${+commands[kops-mfa]} )); then
    command kops-mfa "$@"
  else
    \builtin printf '%s\n' 'kops-mfa is not on PATH (a different Node version?)' >&2
    return 127
  fi
}

# Run `kops-mfa <command> --shell zsh [options]`; evaluate its output only
# when it exited 0 and starts with the statements header; print it (help,
# version) when it exited 0 without; else return its status, change nothing.
function _kops_mfa_apply {
  emulate -L zsh
  local _kops_mfa_cmd=$1 _kops_mfa_out='' _kops_mfa_rc=0 _kops_mfa_tty=''
  shift
  # The terminal's settings, to put back if kops-mfa is killed at the prompt.
  { _kops_mfa_tty=$(command stty -g </dev/tty); } 2>/dev/null || _kops_mfa_tty=''
  # No core dump of a process that holds secrets; the limit is the subshell's.
  _kops_mfa_out=$(\builtin ulimit -c 0 2>/dev/null; _kops_mfa_run "${_kops_mfa_cmd}" --shell zsh "$@") || _kops_mfa_rc=$?
  if [[ "${_kops_mfa_rc}" -gt 128 && -n "${_kops_mfa_tty}" ]]; then
    { command stty "${_kops_mfa_tty}" </dev/tty; } 2>/dev/null
  fi
  if [[ "${_kops_mfa_rc}" -ne 0 ]]; then
    return "${_kops_mfa_rc}"
  fi
  if [[ "${_kops_mfa_out%%$'\n'*}" = '# kops-mfa statements v1' ]]; then
    \builtin eval "${_kops_mfa_out}"
  elif [[ -n "${_kops_mfa_out}" ]]; then
    \builtin printf '%s\n' "${_kops_mfa_out}"
  fi
  return 0
}

# Status 0 when the arguments ask for help (before any --).
function _kops_mfa_wants_help {
  emulate -L zsh
  local _kops_mfa_arg
  for _kops_mfa_arg in "$@"; do
    case ${_kops_mfa_arg} in
      --help | -h) return 0 ;;
      --) return 1 ;;
      *) ;;
    esac
  done
  return 1
}

function kops-login {
  if _kops_mfa_wants_help "$@"; then
    _kops_mfa_run complete usage login
    return
  fi
  _kops_mfa_apply env "$@"
}

function kops-logout {
  if _kops_mfa_wants_help "$@"; then
    _kops_mfa_run complete usage logout
    return
  fi
  _kops_mfa_apply logout "$@"
}

# Seconds left of this shell's session into the caller's _kops_mfa_left (and
# the clock into its _kops_mfa_now); status 1 when the shell holds no session
# of kops-mfa's: the marker set, the exported key the one kops-mfa exported,
# and an expiry of at most 11 digits, at most 36 h ahead.
function _kops_mfa_time_left {
  emulate -L zsh
  if [[ -z "${KOPS_MFA_SESSION-}" || -z "${KOPS_MFA_KEY_ID-}" ||
    "${KOPS_MFA_KEY_ID}" != "${AWS_ACCESS_KEY_ID-}" ]]; then
    return 1
  fi
  case ${KOPS_MFA_EXPIRES-} in
    '' | *[!0-9]* | ????????????*) return 1 ;;
    *) ;;
  esac
  _kops_mfa_now=${EPOCHSECONDS:-$(date +%s)}
  _kops_mfa_left=$((10#${KOPS_MFA_EXPIRES} - _kops_mfa_now))
  # More than 36 h ahead is no session kops-mfa made.
  (( _kops_mfa_left <= 129600 ))
}

# The reuse window in seconds into the caller's _kops_mfa_window; status 1
# when KOPS_MFA_MIN_REMAINING is not whole minutes from 0 to 720 (kops-mfa
# then says why). Empty or unset is 5. Leading zeros are allowed.
function _kops_mfa_reuse_window {
  emulate -L zsh
  local _kops_mfa_min=${KOPS_MFA_MIN_REMAINING:-5}
  case ${_kops_mfa_min} in
    *[!0-9]*) return 1 ;;
    *) ;;
  esac
  _kops_mfa_min=${_kops_mfa_min#"${_kops_mfa_min%%[!0]*}"}
  _kops_mfa_min=${_kops_mfa_min:-0}
  if [[ "${#_kops_mfa_min}" -gt 3 || "${_kops_mfa_min}" -gt 720 ]]; then
    return 1
  fi
  _kops_mfa_window=$((_kops_mfa_min * 60))
}

# Prints the time left of this shell's session: 42m, 1h05m, expired; with
# " needs code" when the prompt hook could not renew it without a code, or
# " sts unreachable" when STS did not answer (the hook retries each minute).
# Nothing when the shell holds no session of kops-mfa's.
function kops_mfa_prompt {
  emulate -L zsh
  local _kops_mfa_left=0 _kops_mfa_now=0
  _kops_mfa_time_left || return 0
  if [[ "${_kops_mfa_left}" -le 0 ]]; then
    \builtin printf '%s' expired
  elif [[ "${_kops_mfa_left}" -lt 3600 ]]; then
    \builtin printf '%dm' "$((_kops_mfa_left / 60))"
  else
    \builtin printf '%dh%02dm' "$((_kops_mfa_left / 3600))" "$((_kops_mfa_left % 3600 / 60))"
  fi
  if [[ "${_kops_mfa_needs_code-}" = "${KOPS_MFA_KEY_ID}" ]]; then
    \builtin printf '%s' ' needs code'
  elif [[ "${_kops_mfa_unreachable-}" = "${KOPS_MFA_KEY_ID}" ]]; then
    \builtin printf '%s' ' sts unreachable'
  fi
  return 0
}

# Completion for kops-login and kops-logout: the candidates come from
# `kops-mfa complete <login|logout> <previous word> <current word>`, one a
# line, raw; compadd quotes each as one word (a name `x:y` shows as x:y, and
# `$(touch x)` is inserted quoted, never run).
function _kops_mfa_complete {
  emulate -L zsh
  local fn=login prev='' cur out
  local -a candidates
  [[ ${words[1]} == kops-logout ]] && fn=logout
  (( CURRENT > 1 )) && prev=${(Q)words[CURRENT-1]}
  if [[ $PREFIX == --*=* ]]; then
    # --profile=de: complete the value, keep the option in front
    prev=${PREFIX%%=*}
    compset -P '*='
  fi
  cur=${(Q)PREFIX}
  out=$(_kops_mfa_run complete "$fn" "$prev" "$cur" 2>/dev/null </dev/null) || return 1
  candidates=(${(f)out})
  (( ${#candidates} )) || return 1
  compadd -a candidates
}

# Completion for kops-mfa itself: `kops-mfa complete cli <words> <current>`
# prints `candidate<TAB>description` lines for the words after kops-mfa
# (commands, their options, profile and shell names); compadd shows each
# with its description and quotes it as one word.
function _kops_mfa_complete_cli {
  emulate -L zsh
  local out line
  local -a args candidates shown
  args=("${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}")
  out=$(_kops_mfa_run complete cli "${args[@]}" 2>/dev/null </dev/null) || return 1
  for line in "${(@f)out}"; do
    [[ -n $line ]] || continue
    candidates+=("${line%%$'\t'*}")
    shown+=("${line%%$'\t'*}  -- ${line#*$'\t'}")
  done
  (( ${#candidates} )) || return 1
  compadd -l -d shown -a candidates
}

() {
  emulate -L zsh

  zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

  if (( $+functions[compdef] )); then
    compdef _kops_mfa_complete kops-login kops-logout
    compdef _kops_mfa_complete_cli kops-mfa
  fi

  if [[ ${KOPS_MFA_AUTO_REFRESH-} == (1|prompt) ]]; then
    # The session's expiry is in this shell (KOPS_MFA_EXPIRES): while more
    # than the reuse window is left, kops runs at once and kops-mfa does not
    # start. Otherwise kops-login first: the cache or the MFA session when it
    # can, a code only when the session really ended.
    function kops {
      emulate -L zsh
      local _kops_mfa_left=0 _kops_mfa_now=0 _kops_mfa_window=0
      if ! _kops_mfa_time_left || ! _kops_mfa_reuse_window ||
        [[ "${_kops_mfa_left}" -le "${_kops_mfa_window}" ]]; then
        # --quiet: no "reusing the cached session" note before a kops run.
        kops-login --quiet || return
      fi
      command kops "$@"
    }
  fi

  if [[ ${KOPS_MFA_AUTO_REFRESH-} == prompt ]]; then
    # Before each prompt, when the session is within the reuse window of its
    # end (or past it): a renewal without a code (--no-prompt, no terminal, no
    # output), at most once a minute per session. It runs in the background,
    # so the prompt never waits for STS; it renews kops-mfa's cache, and a
    # later prompt takes the session from there (--min-remaining 0: the cache, no STS).
    # Its exit status is all it leaves: 5 (STS unreachable, retried the next
    # minute) and any other failure (a code is needed) are what
    # kops_mfa_prompt says. $? of the user's command is kept.
    function _kops_mfa_hook {
      local _kops_mfa_status=$?
      emulate -L zsh
      local _kops_mfa_left=0 _kops_mfa_now=0 _kops_mfa_window=0 _kops_mfa_rc=''
      if [[ -n ${_kops_mfa_job-} ]]; then
        [[ -r $_kops_mfa_job/rc ]] && { IFS= \builtin read -r _kops_mfa_rc <"$_kops_mfa_job/rc" || : }
        if [[ -n $_kops_mfa_rc ]]; then
          command rm -rf -- "$_kops_mfa_job"
          typeset -g _kops_mfa_job=''
          _kops_mfa_renewed "$_kops_mfa_rc"
        fi
      fi
      if [[ -z ${_kops_mfa_job-} ]] && _kops_mfa_time_left && _kops_mfa_reuse_window &&
        (( _kops_mfa_left <= _kops_mfa_window )) &&
        { [[ ${_kops_mfa_tried_key-} != $KOPS_MFA_KEY_ID ]] || (( _kops_mfa_now - ${_kops_mfa_tried:-0} >= 60 )) }; then
        typeset -g _kops_mfa_tried=$_kops_mfa_now
        typeset -g _kops_mfa_tried_key=$KOPS_MFA_KEY_ID
        typeset -g _kops_mfa_job=''
        _kops_mfa_job=$(command mktemp -d "${TMPDIR:-/tmp}/kops-mfa-renew.XXXXXX" 2>/dev/null) || _kops_mfa_job=''
        if [[ -n $_kops_mfa_job ]]; then
          # ( … &): a process of its own, not a job of this shell (no job messages).
          ( (
            \builtin ulimit -c 0 2>/dev/null
            _kops_mfa_run env --shell zsh --quiet --no-prompt
            \builtin echo "$?" >"$_kops_mfa_job/rc"
          ) </dev/null >/dev/null 2>&1 &)
        fi
      fi
      return $_kops_mfa_status
    }
    # What a background renewal's exit status means for this shell.
    function _kops_mfa_renewed {
      emulate -L zsh
      typeset -g _kops_mfa_needs_code='' _kops_mfa_unreachable=''
      case $1 in
        0)
          # Renewed: take it from the cache, unless a kops-login replaced the session since.
          if [[ ${KOPS_MFA_KEY_ID-} == ${_kops_mfa_tried_key-} ]] &&
            ! _kops_mfa_apply env --quiet --no-prompt --min-remaining 0 </dev/null >/dev/null 2>&1; then
            _kops_mfa_needs_code=${_kops_mfa_tried_key-}
          fi
          # The session now in the shell (the renewed one) waits its minute too.
          typeset -g _kops_mfa_tried_key=${KOPS_MFA_KEY_ID-}
          ;;
        5) _kops_mfa_unreachable=${_kops_mfa_tried_key-} ;;
        *) _kops_mfa_needs_code=${_kops_mfa_tried_key-} ;;
      esac
    }
    typeset -ga precmd_functions
    if (( ! ${precmd_functions[(Ie)_kops_mfa_hook]} )); then
      # First, so that it sees the status of the user's command.
      precmd_functions=(_kops_mfa_hook $precmd_functions)
    fi
  fi
}
