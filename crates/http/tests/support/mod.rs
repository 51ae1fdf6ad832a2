//! Shared by the HTTP client tests.
#![allow(dead_code)] // each test binary uses a different part of this module

/// A loopback port that refuses connections: the socket is bound but never listens, and
/// holds the port (no other test can take it) until it is dropped.
pub fn refused_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    socket.bind(&loopback.into()).expect("a loopback port");
    let address = socket.local_addr().expect("the bound address");
    let port = address.as_socket().expect("an IP address").port();
    (socket, port)
}
