/* sdprobe-c is a real consumer of the systemd socket-activation protocol
 * through libsystemd: it takes the listening socket named argv[1] from
 * sd_listen_fds_with_names(3), prints "ready PORT-OR-PATH", answers one
 * connection with "hello NAME PID" and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <systemd/sd-daemon.h>

int main(int argc, char **argv) {
	char **names = NULL;
	int n, fd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: sdprobe-c NAME\n");
		return 64;
	}
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		fprintf(stderr, "sdprobe-c: sd_listen_fds_with_names: %s\n", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i], argv[1]) == 0)
			fd = SD_LISTEN_FDS_START + i;
		free(names[i]);
	}
	free(names);
	if (fd < 0) {
		fprintf(stderr, "sdprobe-c: no fd named %s among %d\n", argv[1], n);
		return 1;
	}
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		fprintf(stderr, "sdprobe-c: fd %d is not a listening stream socket\n", fd);
		return 1;
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		perror("sdprobe-c: getsockname");
		return 1;
	}
	if (ss.ss_family == AF_UNIX)
		printf("ready %s\n", ((struct sockaddr_un *)&ss)->sun_path);
	else if (ss.ss_family == AF_INET)
		printf("ready 127.0.0.1:%d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	else
		printf("ready [::1]:%d\n", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	fflush(stdout);
	int c = accept(fd, NULL, NULL);
	if (c < 0) {
		perror("sdprobe-c: accept");
		return 1;
	}
	dprintf(c, "hello %s %d\n", argv[1], (int)getpid());
	close(c);
	return 0;
}
