/* The images a prediction command runs on: one image, every image of a folder, or the paths of a
 * list file (`classifier predict`, `detector test`, patch 0704). */
#ifndef IMAGE_LIST_H
#define IMAGE_LIST_H

/* The image paths that `arg` names, in a NULL-terminated array of *n paths (free each, then the
 * array): a folder gives its files whose names end in .png, .jpg, .jpeg, .bmp, .tga, .gif, .ppm,
 * .pgm or .pnm (any case), sorted by name, joined to the folder's path; a file whose name ends in
 * .list or .txt gives its lines, as Darknet's train and valid lists (a CR and blanks at the line's
 * end dropped, blank lines skipped); anything else is one image. An unreadable folder or list, or one
 * that names no image, ends the program with one message naming it (exit 1). *is_many is 1 for
 * a folder or a list (the commands then name each image in their output). */
char **ttq_image_list(const char *arg, int *n, int *is_many);

/* The median of t[0..n-1] (sorts t). */
double ttq_median(double *t, int n);

#endif
