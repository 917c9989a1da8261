package dev.imagegen.api.clients;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The client IP: the peer unless the peer is a trusted proxy, then the right-most untrusted forwarded hop.
 */
class TrustedProxiesTests {

	private static InetAddress ip(String text) throws Exception {
		return InetAddress.getByName(text);
	}

	private static HttpHeaders xff(String value) {
		HttpHeaders headers = new HttpHeaders();
		headers.add("X-Forwarded-For", value);
		return headers;
	}

	@Test
	void anUntrustedPeersForwardedForIsIgnored() throws Exception {
		TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8");
		assertThat(proxies.clientAddress(ip("198.51.100.7"), xff("203.0.113.5"))).isEqualTo("198.51.100.7");
		assertThat(TrustedProxies.parse("").clientAddress(ip("127.0.0.1"), xff("203.0.113.5"))).isEqualTo("127.0.0.1");
	}

	@Test
	void behindATrustedProxyTheRightMostUntrustedHopIsTheClient() throws Exception {
		TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8, 192.168.1.10");
		// The client wrote "1.1.1.1" itself; only what the trusted proxies appended counts.
		assertThat(proxies.clientAddress(ip("10.1.2.3"), xff("1.1.1.1, 203.0.113.5, 192.168.1.10")))
			.isEqualTo("203.0.113.5");
		assertThat(proxies.clientAddress(ip("10.1.2.3"), xff("203.0.113.9"))).isEqualTo("203.0.113.9");
	}

	@Test
	void forwardedHeaderIsReadWhenThereIsNoXForwardedFor() throws Exception {
		HttpHeaders headers = new HttpHeaders();
		headers.add("Forwarded", "for=198.51.100.1;proto=https, for=\"[2001:db8::7]:443\"");
		assertThat(TrustedProxies.parse("10.0.0.0/8").clientAddress(ip("10.0.0.1"), headers)).isEqualTo("2001:db8:0:0:0:0:0:7");
	}

	@Test
	void allHopsTrustedOrNoneGivenFallsBackToThePeer() throws Exception {
		TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8");
		assertThat(proxies.clientAddress(ip("10.0.0.1"), xff("10.0.0.2"))).isEqualTo("10.0.0.1");
		assertThat(proxies.clientAddress(ip("10.0.0.1"), new HttpHeaders())).isEqualTo("10.0.0.1");
	}

	@Test
	void anUnreadableHopIsNeverResolvedAndEndsTheWalk() throws Exception {
		TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8");
		// "cafe" must not become a DNS lookup; the last trusted proxy's peer is the best answer left.
		assertThat(proxies.clientAddress(ip("10.0.0.1"), xff("203.0.113.5, cafe"))).isEqualTo("10.0.0.1");
		assertThat(proxies.clientAddress(ip("10.0.0.1"), xff("203.0.113.5:4711"))).isEqualTo("203.0.113.5");
	}

	@ParameterizedTest
	@ValueSource(strings = { "10.0.0.0/33", "proxy.example", "10.0.0/8", "::1/129", "10.0.0.0/x", "1.2.3.4/-1" })
	void aBadEntryStopsStartUpNamingTheVariable(String entry) {
		assertThatIllegalArgumentException().isThrownBy(() -> TrustedProxies.parse("10.0.0.0/8," + entry))
			.withMessageStartingWith("TRUSTED_PROXIES entry '" + entry + "'");
	}

}
