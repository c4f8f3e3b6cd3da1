#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The uapi header compiles on its own, in C and C++, against the installed
# kernel headers, and has the layouts existing programs use.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
inc=$top/build/obj/usr/include
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Alone: nothing else included before it.
printf '#include <linux/quic.h>\nint x = QUIC_SOCKOPT_CONFIG;\n' > "$tmp/alone.c"
gcc -std=gnu11 -Wall -Wextra -Werror -isystem "$inc" -c "$tmp/alone.c" -o "$tmp/alone.o"
cp "$tmp/alone.c" "$tmp/alone.cc"
g++ -std=c++17 -Wall -Wextra -Werror -isystem "$inc" -c "$tmp/alone.cc" -o "$tmp/alone.o"

cat > "$tmp/abi.c" <<'C'
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/quic.h>
#include <stddef.h>
#ifdef __cplusplus
#define SA static_assert
#else
#define SA _Static_assert
#endif
SA(SOL_QUIC == 288, "SOL_QUIC");
SA(sizeof(struct quic_stream_info) == 16, "stream_info");
SA(sizeof(struct quic_handshake_info) == 1, "handshake_info");
SA(sizeof(struct quic_errinfo) == 16, "errinfo");
SA(sizeof(struct quic_connection_id_info) == 12, "connection_id_info");
SA(offsetof(struct quic_connection_close, phrase) == 8, "close");
SA(sizeof(struct quic_transport_param) == 56, "transport_param");
SA(sizeof(struct quic_config) == 28, "config");
SA(QUIC_CONFIG_SIZE_VER0 == 24, "config v0");
SA(sizeof(struct quic_crypto_secret) == 56, "crypto_secret");
SA(sizeof(struct quic_stream_update) == 24, "stream_update");
SA(sizeof(struct quic_stream_max_data) == 16, "stream_max_data");
SA(MSG_QUIC_STREAM_NEW == MSG_SYN && MSG_QUIC_STREAM_FIN == MSG_FIN, "flags");
SA(MSG_QUIC_STREAM_UNI == MSG_CONFIRM && MSG_QUIC_DATAGRAM == MSG_RST, "flags");
SA(MSG_QUIC_NOTIFICATION == MSG_MORE && MSG_QUIC_STREAM_SNDBLOCK == MSG_ERRQUEUE, "flags");
SA(MSG_QUIC_STREAM_DONTWAIT == MSG_WAITFORONE, "flags");
SA(QUIC_SOCKOPT_TRANSPORT_PARAM_EXT == 14 && QUIC_EVENT_NEW_SESSION_TICKET == 9, "numbers");
SA(QUIC_VERSION_V2 == 0x6b3343cf, "v2");
int main(void) { return 0; }
C
gcc -std=gnu11 -Wall -Wextra -Werror -isystem "$inc" "$tmp/abi.c" -o "$tmp/abi-c"
cp "$tmp/abi.c" "$tmp/abi.cc"
g++ -std=c++17 -Wall -Wextra -Werror -isystem "$inc" "$tmp/abi.cc" -o "$tmp/abi-cxx"
"$tmp/abi-c" && "$tmp/abi-cxx"
echo "uapi: C and C++ ok"
