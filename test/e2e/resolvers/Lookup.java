// A Java client for the resolver matrix (test/e2e/dns-discovery.test.ts): InetAddress for names and
// addresses (the JDK's native resolver), JNDI's DNS provider for SRV and TXT (its own stub, reading
// /etc/resolv.conf, retrying over TCP on a truncated answer).
//   java Lookup host NAME | srv NAME | ptr IP | txt NAME
import java.net.InetAddress;
import java.util.Hashtable;
import javax.naming.Context;
import javax.naming.NamingEnumeration;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;

public class Lookup {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "host":
        for (InetAddress a : InetAddress.getAllByName(args[1])) System.out.println(a.getHostAddress());
        break;
      case "ptr":
        System.out.println(InetAddress.getByName(args[1]).getCanonicalHostName());
        break;
      default:
        Hashtable<String, String> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
        env.put(Context.PROVIDER_URL, "dns:");
        String type = args[0].toUpperCase();
        Attribute records = new InitialDirContext(env).getAttributes(args[1], new String[] {type}).get(type);
        if (records == null) return;
        NamingEnumeration<?> all = records.getAll();
        while (all.hasMore()) System.out.println(all.next());
    }
  }
}
