import java.net.InetAddress;
import org.jgroups.JChannel;
import org.jgroups.ReceiverAdapter;
import org.jgroups.View;

/**
 * One JGroups member for test/e2e/multicast.test.ts: joins cluster args[1] as member args[0] and
 * prints every view it installs as `view <size> <ms since start> <members>`. It binds where
 * -Djgroups.bind_addr says (the container's private address) and stays in the cluster until ended.
 * - No args[2]: JGroups' default stack (udp.xml: IP multicast for discovery and transport).
 * - args[2] = `dns:<name>`: DNS discovery. Every A record of <name> (the container's resolver, the
 *   network's gateway) becomes an initial host of the TCP stack (tcp.xml, TCPPING, port 7800): no
 *   multicast at all. JGroups 2.12 has no DNS_PING; this is what DNS_PING does at start-up.
 */
public class ClusterMember {
  public static void main(String[] args) throws Exception {
    final long t0 = System.nanoTime();
    JChannel channel;
    if (args.length > 2 && args[2].startsWith("dns:")) {
      StringBuilder hosts = new StringBuilder();
      for (InetAddress a : InetAddress.getAllByName(args[2].substring(4))) hosts.append(hosts.length() == 0 ? "" : ",").append(a.getHostAddress()).append("[7800]");
      System.out.println("resolved " + hosts);
      System.setProperty("jgroups.tcpping.initial_hosts", hosts.toString());
      channel = new JChannel("tcp.xml");
    } else {
      channel = new JChannel();
    }
    channel.setName(args[0]);
    channel.setReceiver(new ReceiverAdapter() {
      @Override
      public void viewAccepted(View view) {
        System.out.println("view " + view.size() + " " + (System.nanoTime() - t0) / 1_000_000 + " " + view.getMembers());
        System.out.flush();
      }
    });
    channel.connect(args[1]);
    System.out.println("connected " + (System.nanoTime() - t0) / 1_000_000);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
