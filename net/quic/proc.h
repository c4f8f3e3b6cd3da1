/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC kernel implementation
 *
 * /proc/net/quic/ of each network namespace.
 */

#ifndef __NET_QUIC_PROC_H
#define __NET_QUIC_PROC_H

int quic_proc_init(void);
void quic_proc_exit(void);

#endif /* __NET_QUIC_PROC_H */
