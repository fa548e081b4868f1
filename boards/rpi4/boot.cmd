# U-Boot script (compiled to boot.scr by `make rpi4-boot`). U-Boot's distro
# boot finds it on the SD card and sets devtype/devnum/distro_bootpart.
# Boot arguments for Bulkhead go into /chosen/bootargs of the firmware's tree.
echo "Bulkhead: loading bulkhead.bin from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} bulkhead.bin
setenv bootargs "${bulkhead_bootargs}"
booti ${kernel_addr_r} - ${fdt_addr}
