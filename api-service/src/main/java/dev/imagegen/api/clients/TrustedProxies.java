package dev.imagegen.api.clients;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;

import org.springframework.http.HttpHeaders;

/**
 * Finds the client's IP address: the TCP peer, unless that peer is a trusted proxy; then the right-most
 * address of {@code X-Forwarded-For} (or {@code Forwarded}) that is not itself a trusted proxy. Right-most,
 * because every address to the left of the last trusted hop was written by the client and proves nothing.
 */
public final class TrustedProxies {

	private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

	private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

	private final List<IpSubnetFilterRule> rules;

	private TrustedProxies(List<IpSubnetFilterRule> rules) {
		this.rules = rules;
	}

	/**
	 * @param cidrs comma-separated CIDRs ({@code 10.0.0.0/8, ::1/128}) or single addresses; may be empty
	 * @return the set
	 * @throws IllegalArgumentException naming {@code TRUSTED_PROXIES} and the entry that does not parse
	 */
	static TrustedProxies parse(String cidrs) {
		List<IpSubnetFilterRule> rules = new ArrayList<>();
		for (String part : cidrs.split(",")) {
			String entry = part.trim();
			if (entry.isEmpty()) {
				continue;
			}
			rules.add(rule(entry));
		}
		return new TrustedProxies(List.copyOf(rules));
	}

	private static IpSubnetFilterRule rule(String entry) {
		int slash = entry.indexOf('/');
		String address = (slash < 0) ? entry : entry.substring(0, slash);
		InetAddress parsed = literal(address, entry);
		int maxPrefix = (parsed.getAddress().length == 4) ? 32 : 128;
		int prefix = maxPrefix;
		if (slash >= 0) {
			try {
				prefix = Integer.parseInt(entry.substring(slash + 1));
			}
			catch (NumberFormatException ex) {
				prefix = -1;
			}
			if (prefix < 0 || prefix > maxPrefix) {
				throw new IllegalArgumentException("TRUSTED_PROXIES entry '" + entry + "' has a prefix length outside 0.."
						+ maxPrefix);
			}
		}
		return new IpSubnetFilterRule(parsed, prefix, IpFilterRuleType.ACCEPT);
	}

	/** An IP literal only: a host name here would mean a DNS lookup per start and trust in DNS. */
	private static InetAddress literal(String address, String entry) {
		if (isIpLiteral(address)) {
			try {
				return InetAddress.getByName(address);
			}
			catch (UnknownHostException ex) {
				// Falls through to the message below.
			}
		}
		throw new IllegalArgumentException("TRUSTED_PROXIES entry '" + entry
				+ "' is not an IP address or CIDR such as 10.0.0.0/8 or 2001:db8::/32");
	}

	/**
	 * Dotted-quad IPv4 or an IPv6 form, so that {@link InetAddress#getByName} parses it and never asks DNS
	 * (a hop such as {@code "cafe"} or {@code "unknown"} must not become a lookup).
	 */
	private static boolean isIpLiteral(String text) {
		return IPV4.matcher(text).matches() || (text.indexOf(':') >= 0 && IPV6_CHARS.matcher(text).matches());
	}

	/** @return whether no proxy is trusted */
	boolean isEmpty() {
		return this.rules.isEmpty();
	}

	/**
	 * Whether an address belongs to a trusted proxy, whose forwarded headers may be believed.
	 * @param address a peer or hop address
	 * @return {@code true} when it is inside {@code TRUSTED_PROXIES}
	 */
	public boolean trusts(InetAddress address) {
		InetSocketAddress socket = new InetSocketAddress(address, 0);
		for (IpSubnetFilterRule rule : this.rules) {
			if (rule.matches(socket)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * @param peer the TCP peer
	 * @param headers the request headers
	 * @return the client's address as text
	 */
	String clientAddress(InetAddress peer, HttpHeaders headers) {
		if (!trusts(peer)) {
			return peer.getHostAddress();
		}
		List<String> hops = forwardedFor(headers);
		for (int i = hops.size() - 1; i >= 0; i--) {
			InetAddress hop = parseHop(hops.get(i));
			if (hop == null) {
				// An unreadable hop ends what can be believed: the last trusted proxy wrote what follows it.
				break;
			}
			if (!trusts(hop)) {
				return hop.getHostAddress();
			}
		}
		return peer.getHostAddress();
	}

	private static List<String> forwardedFor(HttpHeaders headers) {
		List<String> hops = new ArrayList<>();
		List<String> xff = headers.get("X-Forwarded-For");
		if (xff != null) {
			for (String header : xff) {
				for (String hop : header.split(",")) {
					hops.add(hop.trim());
				}
			}
			return hops;
		}
		List<String> forwarded = headers.get("Forwarded");
		if (forwarded != null) {
			for (String header : forwarded) {
				for (String element : header.split(",")) {
					for (String pair : element.split(";")) {
						String trimmed = pair.trim();
						if (trimmed.regionMatches(true, 0, "for=", 0, 4)) {
							hops.add(trimmed.substring(4).trim());
						}
					}
				}
			}
		}
		return hops;
	}

	/** An address from a hop: {@code 1.2.3.4}, {@code "[2001:db8::1]:443"}, {@code 1.2.3.4:5678}; else null. */
	private static InetAddress parseHop(String raw) {
		String hop = raw;
		if (hop.length() >= 2 && hop.startsWith("\"") && hop.endsWith("\"")) {
			hop = hop.substring(1, hop.length() - 1);
		}
		if (hop.startsWith("[")) {
			int end = hop.indexOf(']');
			if (end < 0) {
				return null;
			}
			hop = hop.substring(1, end);
		}
		else if (hop.indexOf(':') >= 0 && hop.indexOf(':') == hop.lastIndexOf(':')) {
			// IPv4 with a port.
			hop = hop.substring(0, hop.indexOf(':'));
		}
		if (!isIpLiteral(hop)) {
			return null;
		}
		try {
			return InetAddress.getByName(hop);
		}
		catch (UnknownHostException ex) {
			return null;
		}
	}

}
