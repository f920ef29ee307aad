// bench/ceiling: the physical limit of this machine for a fan-out, with no protocol logic.
//
// One writer process (pinned to --writer-cpu) writes pre-encoded frames, --batch at a time, to N
// loopback TCP connections, round-robin, as fast as the kernel takes them (non-blocking writes;
// when every socket is full it waits in epoll for one to drain). One reader process (pinned to
// --reader-cpu) reads and discards everything, as the load generator's subscribers would.
// The frame is the WebSocket frame Parley sends for a 100-byte Hub "shout", byte for byte.
// Prints one JSON object: frames (deliveries) per second written and read.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Args {
  int conns = 1000;
  int batch = 16;
  double seconds = 3;
  int writer_cpu = 0;
  int reader_cpu = 1;
  int payload = 100;
};

void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

void nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::string parley_frame(int payload) {
  std::string body = "~Q";
  body.resize(static_cast<std::size_t>(payload), 'x');
  std::string text = "[null,null,\"room:r0\",\"shout\",{\"body\":\"" + body + "\"}]";
  std::string f;
  f += static_cast<char>(0x81);
  if (text.size() < 126) {
    f += static_cast<char>(text.size());
  } else {
    f += static_cast<char>(126);
    f += static_cast<char>((text.size() >> 8) & 0xff);
    f += static_cast<char>(text.size() & 0xff);
  }
  return f + text;
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    double v = std::atof(argv[i + 1]);
    if (k == "--conns")
      a.conns = static_cast<int>(v);
    else if (k == "--batch")
      a.batch = static_cast<int>(v);
    else if (k == "--seconds")
      a.seconds = v;
    else if (k == "--writer-cpu")
      a.writer_cpu = static_cast<int>(v);
    else if (k == "--reader-cpu")
      a.reader_cpu = static_cast<int>(v);
    else if (k == "--payload")
      a.payload = static_cast<int>(v);
    else {
      std::fprintf(stderr,
                   "usage: ceiling [--conns N] [--batch K] [--seconds S] [--writer-cpu C] "
                   "[--reader-cpu C] [--payload B]\n");
      return 2;
    }
  }
  const std::string frame = parley_frame(a.payload);
  std::string batch;
  for (int i = 0; i < a.batch; ++i) batch += frame;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
  if (listen(listener, 4096) < 0) die("listen");
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);

  // The reader is a child process, so that each side has its own descriptor limit.
  int stop_pipe[2], result_pipe[2];
  if (pipe(stop_pipe) < 0 || pipe(result_pipe) < 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(stop_pipe[1]);
    close(result_pipe[0]);
    close(listener);
    pin(a.reader_cpu);
    int ep = epoll_create1(0);
    for (int i = 0; i < a.conns; ++i) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (c < 0) die("socket");
      if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("connect");
      nonblocking(c);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = c;
      epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    }
    epoll_event sev{};
    sev.events = EPOLLIN;
    sev.data.fd = stop_pipe[0];
    epoll_ctl(ep, EPOLL_CTL_ADD, stop_pipe[0], &sev);
    std::vector<char> buf(256 * 1024);
    std::vector<epoll_event> events(1024);
    unsigned long long total = 0;
    bool stop = false;
    while (!stop) {
      int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == stop_pipe[0]) {
          stop = true;
          continue;
        }
        for (;;) {
          ssize_t r = read(events[i].data.fd, buf.data(), buf.size());
          if (r <= 0) break;
          total += static_cast<unsigned long long>(r);
          if (static_cast<std::size_t>(r) < buf.size()) break;
        }
      }
    }
    if (write(result_pipe[1], &total, sizeof total) != sizeof total) _exit(1);
    _exit(0);
  }
  close(stop_pipe[0]);
  close(result_pipe[1]);
  std::vector<int> writers;
  for (int i = 0; i < a.conns; ++i) {
    int s = accept(listener, nullptr, nullptr);
    if (s < 0) die("accept");
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    nonblocking(s);
    writers.push_back(s);
  }

  pin(a.writer_cpu);
  int ep = epoll_create1(0);
  std::vector<std::size_t> offset(writers.size(), 0);
  unsigned long long written = 0, syscalls = 0;
  double start = now_s(), deadline = start + a.seconds;
  std::vector<epoll_event> events(1024);
  while (now_s() < deadline) {
    bool any = false;
    for (std::size_t i = 0; i < writers.size(); ++i) {
      std::size_t off = offset[i];
      ssize_t w = write(writers[i], batch.data() + off, batch.size() - off);
      ++syscalls;
      if (w <= 0) continue;
      any = true;
      written += static_cast<unsigned long long>(w);
      offset[i] = (off + static_cast<std::size_t>(w)) % batch.size();
    }
    if (!any) {
      // Every socket is full: wait until one drains.
      for (int fd : writers) {
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLONESHOT;
        ev.data.fd = fd;
        if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      }
      epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10);
    }
  }
  double elapsed = now_s() - start;
  // Frames read until the writer stopped; the reader may still hold some in its buffers.
  unsigned long long read_bytes = 0;
  close(stop_pipe[1]);
  if (read(result_pipe[0], &read_bytes, sizeof read_bytes) != sizeof read_bytes) read_bytes = 0;
  waitpid(child, nullptr, 0);
  double frames = static_cast<double>(written) / static_cast<double>(frame.size());
  std::printf(
      "{\"conns\":%d,\"batch\":%d,\"frame_bytes\":%zu,\"seconds\":%.3f,"
      "\"frames_per_s\":%.0f,\"bytes_per_s\":%.0f,\"read_bytes_per_s\":%.0f,"
      "\"write_syscalls_per_s\":%.0f}\n",
      a.conns, a.batch, frame.size(), elapsed, frames / elapsed,
      static_cast<double>(written) / elapsed, static_cast<double>(read_bytes) / elapsed,
      static_cast<double>(syscalls) / elapsed);
  return 0;
}
