import org.jgroups.JChannel;
import org.jgroups.ReceiverAdapter;
import org.jgroups.View;

/**
 * One JGroups member for test/e2e/multicast.test.ts: joins cluster args[1] as member args[0] with
 * JGroups' default stack (udp.xml: IP multicast for discovery and transport) and prints every view
 * it installs as `view <size> <ms since start> <members>`. It binds where -Djgroups.bind_addr says
 * (the container's private address) and stays in the cluster until it is ended.
 */
public class ClusterMember {
  public static void main(String[] args) throws Exception {
    final long t0 = System.nanoTime();
    JChannel channel = new JChannel();
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
